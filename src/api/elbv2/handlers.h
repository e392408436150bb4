// The ELBv2 operations, one function each, grouped by resource in the .cc files.
#pragma once

#include <boost/json/object.hpp>

#include "api/aws_error.h"
#include "api/elbv2/common.h"
#include "api/front_door.h"

namespace wharf::api::elbv2 {

using boost::json::object;

// load_balancers.cc
Outcome CreateLoadBalancer(Context&, const RequestContext&, object& in);
Outcome DescribeLoadBalancers(Context&, const RequestContext&, object& in);
Outcome DeleteLoadBalancer(Context&, const RequestContext&, object& in);
Outcome DescribeLoadBalancerAttributes(Context&, const RequestContext&, object& in);
Outcome ModifyLoadBalancerAttributes(Context&, const RequestContext&, object& in);
Outcome SetSecurityGroups(Context&, const RequestContext&, object& in);
Outcome SetSubnets(Context&, const RequestContext&, object& in);
Outcome SetIpAddressType(Context&, const RequestContext&, object& in);

// target_groups.cc
Outcome CreateTargetGroup(Context&, const RequestContext&, object& in);
Outcome DescribeTargetGroups(Context&, const RequestContext&, object& in);
Outcome ModifyTargetGroup(Context&, const RequestContext&, object& in);
Outcome DeleteTargetGroup(Context&, const RequestContext&, object& in);
Outcome DescribeTargetGroupAttributes(Context&, const RequestContext&, object& in);
Outcome ModifyTargetGroupAttributes(Context&, const RequestContext&, object& in);
// Runs `change` on the stored target group `arn` (or refuses with its error), saves it and
// publishes the data plane's new config, retried on conflict; `answer` once saved.
Outcome UpdateTargetGroup(Context& c, const std::string& arn,
                          const std::function<std::optional<AwsError>(json::object&)>& change,
                          const std::function<Outcome(const json::object&)>& answer);

// targets.cc
Outcome RegisterTargets(Context&, const RequestContext&, object& in);
Outcome DeregisterTargets(Context&, const RequestContext&, object& in);
Outcome DescribeTargetHealth(Context&, const RequestContext&, object& in);

// listeners.cc
Outcome CreateListener(Context&, const RequestContext&, object& in);
Outcome DescribeListeners(Context&, const RequestContext&, object& in);
Outcome ModifyListener(Context&, const RequestContext&, object& in);
Outcome DeleteListener(Context&, const RequestContext&, object& in);
Outcome DescribeListenerAttributes(Context&, const RequestContext&, object& in);
Outcome ModifyListenerAttributes(Context&, const RequestContext&, object& in);

// Adds the deletion of a stored listener (its record, compared, and its port's claim) to
// `txn`; answers its ARN, for the data plane to close once the txn commits.
std::string DropListener(const Record& listener, store::Txn& txn);

// rules.cc
Outcome CreateRule(Context&, const RequestContext&, object& in);
Outcome DescribeRules(Context&, const RequestContext&, object& in);
Outcome ModifyRule(Context&, const RequestContext&, object& in);
Outcome DeleteRule(Context&, const RequestContext&, object& in);
Outcome SetRulePriorities(Context&, const RequestContext&, object& in);

// tags.cc
Outcome AddTags(Context&, const RequestContext&, object& in);
Outcome RemoveTags(Context&, const RequestContext&, object& in);
Outcome DescribeTags(Context&, const RequestContext&, object& in);
// The tags of a load balancer, target group, listener or rule ARN (aws:ResourceTag); empty when none.
ResourceTags ResourceTagsOf(Context& c, const std::string& arn);

// actions.cc: what listeners and rules share.
struct CheckedActions {
  json::array actions;                // as Describe shows them (defaults filled in)
  std::vector<Record> target_groups;  // the groups forwarded to, to rewrite in the same txn
};
// Validates actions for a listener of `lb_arn`: types, target groups (exist, HTTP, not used
// by another load balancer), redirect and fixed-response configs.
std::variant<CheckedActions, AwsError> CheckActions(Context& c, const json::array& actions,
                                                    const std::string& lb_arn);
// Validates rule conditions (fields, AWS's limits) and returns them as Describe shows them.
std::variant<json::array, AwsError> CheckConditions(const json::array& conditions);
// Adds "rewrite unchanged" ops and compares for `records` to `txn`.
void TouchRecords(const std::vector<Record>& records, store::Txn& txn);
// Adds deletes of `records`, each compared at the revision it was read at, to `txn`.
void DeleteRecords(const std::vector<Record>& records, store::Txn& txn);

}  // namespace wharf::api::elbv2
