// What the IAM handlers share: errors in IAM's words, the read-modify-write runner,
// pagination, tags, the entity kinds (user, group, role) and policy lookups.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <variant>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/aws_error.h"
#include "api/front_door.h"
#include "api/iam/iam.h"
#include "api/iam/managed_policies.h"
#include "api/iam/policy_document.h"
#include "store/update.h"

namespace wharf::api::iam {

namespace json = boost::json;
using boost::json::array;
using boost::json::object;
using Decision = store::Decision<Outcome>;
using Deps = IamDeps;

// Errors.
AwsError IamError(const Status& status);
AwsError NoSuchEntity(std::string message);          // 404
AwsError EntityAlreadyExists(std::string message);   // 409
AwsError DeleteConflict(std::string message);        // 409
AwsError LimitExceeded(std::string message);         // 409
AwsError InvalidInput(std::string message);          // 400
AwsError ValidationError(std::string message);       // 400
AwsError UnmodifiableEntity(std::string message);    // 400

// One transaction: `decide` reads and writes through the draft and answers; a Commit answer
// commits. Retried when another writer won.
Outcome Apply(const Deps& deps, const std::function<Result<Decision>(store::Draft&)>& decide);
Result<std::optional<object>> Read(store::Draft& draft, const std::string& key);
void Write(store::Draft& draft, const std::string& key, const object& record);
// Every record under `prefix`, in key order.
Result<std::vector<object>> LoadAll(const Deps& deps, std::string_view prefix);

// IAM's Marker/MaxItems paging of a whole list: {member: page, IsTruncated, Marker?}.
object Paginate(array items, const object& in, std::string_view member);

double Now(const Deps& deps);
std::string Str(const object& o, std::string_view key, std::string_view fallback = "");
// A name member's value as the request has it ("" when absent).
std::string Arg(const object& in, std::string_view key);
// The Path, "/" when absent.
std::string PathOf(const object& in, std::string_view key = "Path");
bool PathHasPrefix(std::string_view path, std::string_view prefix);
bool NameEquals(std::string_view a, std::string_view b);  // IAM names ignore case

// A policy document as IAM answers it: percent-encoded (RFC 3986).
std::string EncodeDocument(std::string_view text);

// Arrays of names in records.
bool Contains(const array& a, std::string_view value);
void AddUnique(array& a, std::string_view value);
bool RemoveValue(array& a, std::string_view value);  // true when it was there
array& ArrayField(object& o, std::string_view key);
object& ObjectField(object& o, std::string_view key);

// Tags: merged by key; at most 50; removed by key.
std::optional<AwsError> MergeTags(object& shape, const json::value* tags, std::string_view quota);
void RemoveTags(object& shape, const json::value* keys);

// The users, groups and roles policies attach to.
struct EntityKind {
  std::string_view type;        // "user": in ARNs, attachment entries and quotas
  std::string_view shape;       // "User": the record's shape member
  std::string_view name_member; // "UserName"
  std::string_view id_member;   // "UserId"
  std::string_view title;       // "User": in quota names (PoliciesPerUser)
  std::string (*key)(std::string_view name);
};
extern const EntityKind kUser;
extern const EntityKind kGroup;
extern const EntityKind kRole;
AwsError NoSuchEntityOf(const EntityKind& kind, std::string_view name);
// The entity's record through the draft, or NoSuchEntity.
Result<std::variant<object, AwsError>> ReadEntity(store::Draft& draft, const EntityKind& kind,
                                                  std::string_view name);

// A policy by ARN: AWS managed (built in) or this account's.
struct PolicyRef {
  std::string arn;
  std::string name;
  bool aws_managed = false;
  const ManagedPolicy* managed = nullptr;  // when aws_managed
};
std::optional<PolicyRef> ParsePolicyArn(const Deps& deps, std::string_view arn);
// The key of the record holding the policy's attached entities.
std::string AttachmentsKey(const PolicyRef& ref);
// Whether the policy exists (through the draft for a customer one).
Result<bool> PolicyExists(store::Draft& draft, const PolicyRef& ref);
// Policy <arn> does not exist or is not attachable.
AwsError NotAttachable(std::string_view arn);

}  // namespace wharf::api::iam
