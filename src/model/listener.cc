#include "model/listener.h"

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

const json::object& ListenerRecord::shape() const { return GetObject(record_, "listener"); }
std::string ListenerRecord::arn() const { return GetString(shape(), "ListenerArn"); }
std::string ListenerRecord::load_balancer_arn() const { return GetString(shape(), "LoadBalancerArn"); }
int ListenerRecord::port() const { return static_cast<int>(GetInt(shape(), "Port").value_or(80)); }
std::string ListenerRecord::protocol() const { return GetString(shape(), "Protocol", "HTTP"); }
const json::array& ListenerRecord::default_actions() const { return GetArray(shape(), "DefaultActions"); }
std::string ListenerRecord::default_rule_arn() const { return GetString(record_, "defaultRuleArn"); }

const json::object& RuleRecord::shape() const { return GetObject(record_, "rule"); }
std::string RuleRecord::arn() const { return GetString(shape(), "RuleArn"); }
// Stored beside the Rule shape, which does not name its listener.
std::string RuleRecord::listener_arn() const { return GetString(record_, "listenerArn"); }
int RuleRecord::priority() const { return IntFromText(GetString(shape(), "Priority"), 0); }
const json::array& RuleRecord::conditions() const { return GetArray(shape(), "Conditions"); }
const json::array& RuleRecord::actions() const { return GetArray(shape(), "Actions"); }

}  // namespace wharf::model
