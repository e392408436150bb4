// Shared pieces of the ELBv2 handlers: the handlers' context, keys, ARNs, errors, records.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/aws_error.h"
#include "api/elbv2/elbv2.h"
#include "api/json_util.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::api::elbv2 {

namespace json = boost::json;

inline constexpr size_t kMaxTags = 50;

// What every handler shares: the dependencies, the id source and the publishing lock.
class Context {
 public:
  explicit Context(const Elbv2Deps& deps) : deps(deps) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  std::string NewHex(size_t chars);
  std::string NewDigits(size_t count);
  // Rebuilds the configuration from the store and applies it. Serialised, so snapshots reach
  // the data plane in the order they were read.
  void Publish();

  const Elbv2Deps deps;  // constant after construction

 private:
  Random& random();
  SecureRandom own_random_;
};

// A stored record with the revision it was read at.
struct Record {
  std::string key;
  json::object value;
  int64_t mod_revision = 0;
  bool is_default_rule = false;  // a rule lookup that found a listener's default rule
};
using Lookup = std::variant<Record, AwsError>;

// Store keys (model/keys.h, docs/STATE.md).
using model::keys::ListenerKey;
using model::keys::ListenersPrefix;
using model::keys::LoadBalancerKey;
using model::keys::RuleKey;
using model::keys::RulesPrefix;
using model::keys::TargetGroupKey;
inline constexpr std::string_view kLoadBalancersPrefix = model::keys::kLoadBalancers;
inline constexpr std::string_view kTargetGroupsPrefix = model::keys::kTargetGroups;
inline std::string PortKey(int64_t port) { return model::keys::ListenerPortKey(port); }

std::string ArnPrefix(const Elbv2Deps& deps);  // arn:aws:elasticloadbalancing:<region>:<account>:
// The '/'-separated parts of an ARN's resource ("loadbalancer/app/name/id" -> 4 parts), or
// empty when the ARN is not this account's and region's.
std::vector<std::string> ArnParts(const Elbv2Deps& deps, std::string_view arn);

// Errors: the model's codes.
AwsError Elbv2Error(const Status& status);  // a Status from below
AwsError ValidationError(std::string message);
AwsError InvalidConfiguration(std::string message);
AwsError LoadBalancerNotFound(std::string message = "One or more load balancers not found");
AwsError TargetGroupNotFound(std::string message = "One or more target groups not found");
AwsError ListenerNotFound();
AwsError RuleNotFound();
AwsError TooManyConcurrentUpdates();

Result<std::optional<Record>> ReadRecord(store::Store& store, const std::string& key);
// Reads every record under a prefix (all pages).
Result<std::vector<Record>> ReadAll(store::Store& store, std::string_view prefix);

// Lookups by ARN: the record, or the model's not-found error (a malformed ARN is a
// ValidationError, as AWS answers).
Lookup GetLoadBalancer(Context& c, std::string_view arn);
Lookup GetTargetGroup(Context& c, std::string_view arn);
Lookup GetListener(Context& c, std::string_view arn);
Lookup GetRule(Context& c, std::string_view arn);  // a default rule: its listener's record

// The listener a rule belongs to, from the rule's ARN.
std::string ListenerArnOfRule(std::string_view rule_arn);
// Listener and rule ids and the load balancer name, from their ARNs (empty if malformed).
struct ListenerId {
  std::string lb_name, listener_id;
};
ListenerId ParseListenerArn(const Elbv2Deps& deps, std::string_view arn);

// Pagination markers carry the last key returned.
std::string MakeMarker(std::string_view last_key);
std::optional<std::string> ReadMarker(std::string_view marker);

int64_t NowMs(const Context& c);
double NowSeconds(const Context& c);

// Attributes are stored as {key: value}; the API speaks [{Key, Value}].
json::array AttributeList(const json::object& attributes);

// Every target group referenced by an action list.
std::vector<std::string> ForwardedTargetGroups(const json::array& actions);

// Which load balancers use each target group (through listeners' default actions and rules).
struct TargetGroupUsage {
  std::map<std::string, std::set<std::string>> lbs_by_tg;  // tg arn -> lb arns
};
Result<TargetGroupUsage> ReadTargetGroupUsage(store::Store& store);

// Tag lists: [{Key, Value}].
std::optional<AwsError> CheckNewTags(const json::array& tags);

// Commits a transaction; false on a failed compare.
Result<bool> CommitTxn(store::Store& store, const store::Txn& txn);
// Writes the record back if it is still at the revision it was read at; false on a conflict.
Result<bool> SaveRecord(store::Store& store, const Record& record);
// Describe/Modify*Attributes of any resource: `lookup` finds its record (re-read on a conflict).
Outcome DescribeAttributesOf(const Lookup& found);
Outcome ModifyAttributesOf(Context& c, int owner, const json::array& changes,
                           const std::function<Lookup()>& lookup);

// The naming rule load balancers and target groups share ("Load balancer", "Target group").
std::optional<AwsError> CheckResourceName(std::string_view kind, const std::string& name);

}  // namespace wharf::api::elbv2
