// Shared pieces of the Cloud Map handlers: errors, ids and ARNs, finding namespaces and
// services by id or ARN, operations, pages.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/aws_error.h"
#include "api/json_util.h"
#include "api/servicediscovery/servicediscovery.h"
#include "controlplane/records.h"
#include "model/cloud_map.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::api::servicediscovery {

using boost::json::object;
using controlplane::StoredRecord;

AwsError CloudMapError(const Status& status);
AwsError InvalidInput(std::string message);
AwsError NamespaceNotFound();
AwsError ServiceNotFound();
AwsError InstanceNotFound(const std::string& id);
AwsError ResourceInUse(std::string message);
AwsError TooManyUpdates();

double Now(const CloudMapDeps& deps);
// "ns-" / "srv-" and 16 lowercase letters and digits, as Cloud Map's ids.
std::string NewId(const CloudMapDeps& deps, std::string_view prefix);
std::string ResourceArn(const CloudMapDeps& deps, std::string_view kind, std::string_view id);
// The id in an id or ARN (the "Arn" shapes take either: ids of shared resources are ARNs).
std::string IdOf(std::string_view id_or_arn);

// NamespaceNotFound / ServiceNotFound when absent.
std::variant<StoredRecord, AwsError> LoadNamespace(const CloudMapDeps& deps, std::string_view id_or_arn);
std::variant<StoredRecord, AwsError> LoadService(const CloudMapDeps& deps, std::string_view id_or_arn);
Result<std::vector<object>> LoadAll(const CloudMapDeps& deps, std::string_view prefix);
Result<std::vector<object>> LoadInstances(const CloudMapDeps& deps, const std::string& service_id);

// The namespace as GetNamespace shows it (with its ServiceCount) and the service as GetService
// shows it (with its InstanceCount).
Result<object> ShowNamespace(const CloudMapDeps& deps, const object& ns);
Result<object> ShowService(const CloudMapDeps& deps, const object& service);

// A new operation record of `type` on `targets` ({"NAMESPACE": id, ...}), SUBMITTED now.
object NewOperation(const CloudMapDeps& deps, std::string_view type, object targets);
// Puts the operation in the draft and answers {"OperationId": id}.
Outcome RecordOperation(store::Draft& draft, const object& operation);

// Runs `decide` on a draft, retried on conflict; TooManyUpdates when every attempt lost.
Outcome Change(const CloudMapDeps& deps, const std::function<Result<store::Decision<Outcome>>(store::Draft&)>& decide);

// Offset pages: the items from NextToken's offset, at most MaxResults (`max_default` when
// not given), and the token of the next page. InvalidInput for a token wharf did not make.
struct PageOf {
  size_t begin = 0, end = 0;
  std::string next_token;
};
std::variant<PageOf, AwsError> Page(const object& in, size_t total, size_t max_default = 100);

// What ListNamespaces, ListServices and ListOperations answer: the `records` that every
// filter in the request's Filters keeps (`matches` says whether one filter keeps one record,
// or the error for a filter Cloud Map refuses), oldest first, the request's page of them as
// `show` shows each, under `list_name`, with the next page's NextToken.
using FilterMatch = std::function<std::variant<bool, AwsError>(const object& record, const object& filter)>;
Outcome ListPage(const object& in, std::vector<object> records, const FilterMatch& matches,
                 const std::function<Result<object>(const object& record)>& show, std::string_view list_name);

// Tags: at most 50, keys unique.
std::optional<AwsError> CheckTags(const boost::json::array& tags);

}  // namespace wharf::api::servicediscovery
