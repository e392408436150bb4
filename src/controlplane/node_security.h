// Which security groups a node enforces, and on whom: the decision behind the
// "securityGroups"/"groupMembers" part of the assignment feed (model/security_group.h,
// docs/SECURITY_GROUPS.md). Pure: records in, a NodeSecurity out.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "model/security_group.h"

namespace wharf::controlplane {

// Is the task one whose ENI is a live member of its groups: awsvpc with an address and not
// STOPPED (an ENI is attached from PROVISIONING until the task stops).
bool HasLiveEni(const boost::json::object& task_record);

// What a task contributes to its groups' member sets: "<address> <group> ..." while its ENI is
// live, else "". Watchers of the task records (the assignment board, the load balancer
// publisher) compare it to tell a membership change from a task's other changes.
std::string EniMembership(const boost::json::object& task_record);

// For `node`: the rules of every group its awsvpc tasks' ENIs are in (tasks not both desired
// and last STOPPED, as the feed lists them), and the members of every group those rules name:
// the addresses of every live ENI in it, on any node (`tasks` are all task records), and the
// marks and interface addresses of the load balancers in it (`load_balancers`:
// elbv2/load-balancers/ records), and the interface addresses of the interface endpoints in
// it (`endpoints`: ec2/vpc-endpoints/ records), so that a task's egress rule naming an
// endpoint's group admits its connections to the endpoint.
// A group that no longer exists has no rules (its tasks' ENIs then allow nothing).
model::NodeSecurity ResolveNodeSecurity(const std::string& node, const std::vector<boost::json::object>& tasks,
                                        const std::vector<boost::json::object>& groups,
                                        const std::vector<boost::json::object>& load_balancers,
                                        const std::vector<boost::json::object>& endpoints = {});

}  // namespace wharf::controlplane
