#include "controlplane/node_security.h"

#include <algorithm>
#include <map>
#include <set>

#include "model/json.h"
#include "model/listener.h"
#include "model/task.h"

namespace wharf::controlplane {
namespace json = boost::json;

bool HasLiveEni(const json::object& task_record) {
  model::TaskRecord task(task_record);
  return task.network_mode() == "awsvpc" && task.eni().has_value() && !task.stopped();
}

std::string EniMembership(const json::object& task_record) {
  if (!HasLiveEni(task_record)) return "";
  model::TaskRecord task(task_record);
  std::string out = task.eni()->ip;
  for (const auto& g : task.security_groups()) out += " " + g;
  return out;
}

model::NodeSecurity ResolveNodeSecurity(const std::string& node, const std::vector<json::object>& tasks,
                                        const std::vector<json::object>& groups,
                                        const std::vector<json::object>& load_balancers,
                                        const std::vector<json::object>& endpoints) {
  std::set<std::string> enforced;  // groups of the node's ENIs
  for (const auto& t : tasks) {
    model::TaskRecord task(t);
    if (task.node() != node || task.network_mode() != "awsvpc" || !task.eni()) continue;
    if (task.stopped() && task.desired_status() == "STOPPED") continue;
    for (auto& g : task.security_groups()) enforced.insert(std::move(g));
  }
  model::NodeSecurity out;
  if (enforced.empty()) return out;

  std::set<std::string> referenced;
  for (const auto& g : groups) {
    model::SecurityGroupRecord record(g);
    if (!enforced.count(record.group_id())) continue;
    model::SecurityGroupRules rules = record.rules();
    for (const auto* list : {&rules.ingress, &rules.egress}) {
      for (const auto& r : *list) {
        if (!r.group_id.empty()) referenced.insert(r.group_id);
      }
    }
    out.groups.push_back(std::move(rules));
  }
  if (referenced.empty()) return out;

  for (const auto& id : referenced) out.members[id];  // a group with no members is an empty set
  for (const auto& t : tasks) {
    if (!HasLiveEni(t)) continue;
    model::TaskRecord task(t);
    std::string ip = task.eni()->ip;
    for (const auto& g : task.security_groups()) {
      auto it = out.members.find(g);
      if (it != out.members.end()) it->second.addresses.push_back(ip);
    }
  }
  for (const auto& r : load_balancers) {
    model::LoadBalancerRecord lb(r);
    for (const auto& g : GetArray(lb.shape(), "SecurityGroups")) {
      if (!g.is_string()) continue;
      auto it = out.members.find(std::string(g.get_string()));
      if (it == out.members.end()) continue;
      it->second.marks.push_back(model::LoadBalancerMark(lb.arn()));
      // Its interfaces' addresses, where its VPC reaches it: a task's egress rule naming the
      // group admits its connections to the load balancer (checked at the original address,
      // agent/network/firewall.h).
      for (const auto& i : lb.interfaces()) {
        if (!i.ip.empty()) it->second.addresses.push_back(i.ip);
      }
    }
  }
  for (const auto& e : endpoints) {
    if (GetString(e, "VpcEndpointType") != "Interface") continue;
    for (const auto& g : GetArray(e, "Groups")) {
      if (!g.is_object()) continue;
      auto it = out.members.find(GetString(g.get_object(), "GroupId"));
      if (it == out.members.end()) continue;
      // Its interfaces' addresses, by subnet (api/ec2/vpc_endpoints.cc's _wharf.addresses).
      for (const auto& [_, ip] : GetObject(GetObject(e, "_wharf"), "addresses")) {
        if (ip.is_string()) it->second.addresses.emplace_back(ip.get_string());
      }
    }
  }
  for (auto& [_, m] : out.members) {  // the same answer for the same state, whatever the key order
    std::sort(m.addresses.begin(), m.addresses.end());
    m.addresses.erase(std::unique(m.addresses.begin(), m.addresses.end()), m.addresses.end());
    std::sort(m.marks.begin(), m.marks.end());
    m.marks.erase(std::unique(m.marks.begin(), m.marks.end()), m.marks.end());
  }
  return out;
}

}  // namespace wharf::controlplane
