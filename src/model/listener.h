// ELBv2 load balancer, listener and rule records (docs/STATE.md):
//   elbv2/load-balancers/<name>              model/load_balancer.h
//   elbv2/listeners/<lb name>/<id>           {"listener": <Listener shape>, "attributes", "tags",
//                                             "defaultRuleArn", "defaultRuleTags"}
//   elbv2/rules/<lb name>/<listener id>/<id> {"rule": <Rule shape>, "listenerArn", "tags"}
// A listener's default rule is not stored as a rule: its actions are the listener's
// DefaultActions and its ARN is "defaultRuleArn".
//
// Typed views for what the control plane reads of them (the data plane's configuration).
// Views: the record must outlive them. Pure.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "model/load_balancer.h"  // LoadBalancerRecord

namespace wharf::model {

class ListenerRecord {
 public:
  explicit ListenerRecord(const boost::json::object& record) : record_(record) {}
  const boost::json::object& shape() const;
  std::string arn() const;
  std::string load_balancer_arn() const;
  int port() const;          // 80 when not set
  std::string protocol() const;  // HTTP when not set
  const boost::json::array& default_actions() const;
  std::string default_rule_arn() const;

 private:
  const boost::json::object& record_;
};

class RuleRecord {
 public:
  explicit RuleRecord(const boost::json::object& record) : record_(record) {}
  const boost::json::object& shape() const;
  std::string arn() const;
  std::string listener_arn() const;
  int priority() const;  // the Rule shape keeps it as a string
  const boost::json::array& conditions() const;
  const boost::json::array& actions() const;

 private:
  const boost::json::object& record_;
};

}  // namespace wharf::model
