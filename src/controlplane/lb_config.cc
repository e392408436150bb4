#include "controlplane/lb_config.h"

#include <algorithm>
#include <map>

#include "controlplane/node_security.h"
#include "controlplane/records.h"
#include "controlplane/vpc_egress.h"
#include "controlplane/vpc_rules.h"
#include "model/ec2_network.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/listener.h"
#include "model/security_group.h"
#include "model/target_group.h"
#include "model/task.h"
#include "store/store.h"

namespace wharf::controlplane {
namespace json = boost::json;

namespace {

lb::Condition ToCondition(const json::object& c) {
  lb::Condition out;
  out.field = GetString(c, "Field");
  static const std::pair<const char*, const char*> kConfigs[] = {
      {"host-header", "HostHeaderConfig"}, {"path-pattern", "PathPatternConfig"},
      {"http-header", "HttpHeaderConfig"}, {"http-request-method", "HttpRequestMethodConfig"},
      {"source-ip", "SourceIpConfig"},
  };
  for (const auto& [field, config] : kConfigs) {
    if (out.field != field) continue;
    const json::object& cfg = GetObject(c, config);
    const json::array& values =
        Has(cfg, "Values") ? GetArray(cfg, "Values") : GetArray(c, "Values");
    for (const auto& v : values) out.values.emplace_back(v.get_string());
    out.http_header_name = GetString(cfg, "HttpHeaderName");
  }
  if (out.field == "query-string") {
    for (const auto& p : GetArray(GetObject(c, "QueryStringConfig"), "Values")) {
      out.query.emplace_back(GetString(p.get_object(), "Key"), GetString(p.get_object(), "Value"));
    }
  }
  return out;
}

lb::Action ToAction(const json::object& a) {
  lb::Action out;
  out.type = GetString(a, "Type");
  out.order = static_cast<int>(GetInt(a, "Order").value_or(1));
  if (out.type == "forward") {
    const json::object& config = GetObject(a, "ForwardConfig");
    for (const auto& t : GetArray(config, "TargetGroups")) {
      out.target_groups.push_back({GetString(t.get_object(), "TargetGroupArn"),
                                   static_cast<int>(GetInt(t.get_object(), "Weight").value_or(1))});
    }
    if (out.target_groups.empty() && Has(a, "TargetGroupArn")) {
      out.target_groups.push_back({GetString(a, "TargetGroupArn"), 1});
    }
    const json::object& sticky = GetObject(config, "TargetGroupStickinessConfig");
    out.group_stickiness_enabled = GetBool(sticky, "Enabled").value_or(false);
    out.group_stickiness_seconds =
        static_cast<int>(GetInt(sticky, "DurationSeconds").value_or(3600));
  } else if (out.type == "redirect") {
    const json::object& r = GetObject(a, "RedirectConfig");
    out.redirect_protocol = GetString(r, "Protocol", "#{protocol}");
    out.redirect_host = GetString(r, "Host", "#{host}");
    out.redirect_port = GetString(r, "Port", "#{port}");
    out.redirect_path = GetString(r, "Path", "/#{path}");
    out.redirect_query = GetString(r, "Query", "#{query}");
    out.redirect_status = GetString(r, "StatusCode") == "HTTP_302" ? 302 : 301;
  } else if (out.type == "fixed-response") {
    const json::object& f = GetObject(a, "FixedResponseConfig");
    out.fixed_status = IntFromText(GetString(f, "StatusCode"), 200);
    out.fixed_content_type = GetString(f, "ContentType", "text/plain");
    out.fixed_body = GetString(f, "MessageBody");
  }
  return out;
}

std::vector<lb::Action> ToActions(const json::array& actions) {
  std::vector<lb::Action> out;
  for (const auto& a : actions) out.push_back(ToAction(a.get_object()));
  std::stable_sort(out.begin(), out.end(),
                   [](const lb::Action& x, const lb::Action& y) { return x.order < y.order; });
  return out;
}

lb::TargetGroup ToTargetGroup(const json::object& record, int64_t now_ms, const InstanceAddress& instance_address) {
  model::TargetGroupRecord group(record);
  const json::object& tg = group.shape();
  lb::TargetGroup out;
  out.arn = group.arn();
  out.name = group.name();
  out.protocol = group.protocol();
  out.port = static_cast<uint16_t>(group.port());
  out.target_type = group.target_type();
  lb::HealthCheck& hc = out.health_check;
  hc.enabled = GetBool(tg, "HealthCheckEnabled").value_or(true);
  hc.protocol = GetString(tg, "HealthCheckProtocol", "HTTP");
  hc.port = GetString(tg, "HealthCheckPort", "traffic-port");
  hc.path = GetString(tg, "HealthCheckPath", "/");
  hc.interval_seconds = static_cast<int>(GetInt(tg, "HealthCheckIntervalSeconds").value_or(30));
  hc.timeout_seconds = static_cast<int>(GetInt(tg, "HealthCheckTimeoutSeconds").value_or(5));
  hc.healthy_threshold = static_cast<int>(GetInt(tg, "HealthyThresholdCount").value_or(5));
  hc.unhealthy_threshold = static_cast<int>(GetInt(tg, "UnhealthyThresholdCount").value_or(2));
  hc.matcher = GetString(GetObject(tg, "Matcher"), "HttpCode", "200");
  out.deregistration_delay_seconds = static_cast<int>(group.deregistration_delay_ms() / 1000);
  out.slow_start_seconds = IntFromText(group.attribute("slow_start.duration_seconds"), 0);
  out.algorithm = group.attribute("load_balancing.algorithm.type", "round_robin");
  out.stickiness_enabled = group.attribute("stickiness.enabled") == "true";
  out.stickiness_type = group.attribute("stickiness.type", "lb_cookie");
  out.stickiness_duration_seconds = IntFromText(group.attribute("stickiness.lb_cookie.duration_seconds"), 86400);
  for (const model::RegisteredTarget& target : group.targets(now_ms)) {
    lb::Target x;
    x.id = target.id;
    x.ip = x.id;  // an ip target, or an instance target registered by its address
    if (x.id.rfind("i-", 0) == 0) {
      // An ECS node's instance id; one this server cannot reach has no address and fails
      // its health checks.
      auto address = instance_address ? instance_address(x.id) : std::nullopt;
      x.ip = address.value_or("");
    }
    x.port = static_cast<uint16_t>(target.port ? target.port : out.port);
    x.availability_zone = target.availability_zone;
    x.draining = target.draining();
    x.drain_deadline_ms = target.drain_deadline_ms.value_or(0);
    out.targets.push_back(std::move(x));
  }
  return out;
}

// Where a load balancer is reached, beside the bind address (lb/public_addresses.h).
struct LbReach {
  bool internal = false;
  std::string vpc_id;
  std::vector<std::string> public_addresses, private_addresses, security_groups;
};

// The IPv4 sources `groups` admit on TCP `port`: their CIDRs, and the addresses of the
// members of a group a rule names (`members`). A prefix list admits nothing (wharf has none).
std::vector<std::string> AdmittedSources(const std::vector<std::string>& lb_groups,
                                         const std::map<std::string, model::SecurityGroupRules>& rules, uint16_t port,
                                         const std::map<std::string, std::vector<std::string>>& members) {
  std::vector<std::string> out;
  for (const auto& g : lb_groups) {
    auto it = rules.find(g);
    if (it == rules.end()) continue;
    for (const model::SecurityGroupRule& r : it->second.ingress) {
      if (r.protocol != "-1" && r.protocol != "tcp" && r.protocol != "6") continue;
      bool all_ports = r.protocol == "-1" || r.from_port < 0;
      if (!all_ports && (port < r.from_port || port > r.to_port)) continue;
      if (!r.cidr.empty() && r.cidr.find(':') == std::string::npos) out.push_back(r.cidr);
      if (!r.group_id.empty()) {
        if (auto m = members.find(r.group_id); m != members.end()) out.insert(out.end(), m->second.begin(), m->second.end());
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The ENIs with a way out of their VPC and the address they leave with, decided as the
// assignment board decides it for the node (vpc_egress.h): an elastic IP associated with the
// ENI takes its public address's place.
Status AddOutsideClients(store::Store& store, const std::vector<model::TaskEni>& enis, lb::Config& config) {
  ASSIGN_OR_RETURN(auto route_tables, LoadRecords(store, model::keys::kRouteTables));
  ASSIGN_OR_RETURN(auto nat_gateways, LoadRecords(store, model::keys::kNatGateways));
  ASSIGN_OR_RETURN(auto addresses, LoadRecords(store, model::keys::kAddresses));
  std::map<std::string, std::string> elastic_ips;  // ENI id -> its elastic IP
  for (const auto& a : addresses) {
    std::string eni = GetString(a, "NetworkInterfaceId");
    if (!eni.empty()) elastic_ips[eni] = GetString(a, "PublicIp");
  }
  for (const model::TaskEni& eni : enis) {
    if (eni.vpc_id.empty() || eni.subnet_id.empty()) continue;
    std::string public_ip = eni.public_ip;
    if (auto e = elastic_ips.find(eni.eni_id); e != elastic_ips.end()) public_ip = e->second;
    EniEgress way = ResolveEniEgress(route_tables, nat_gateways, eni.subnet_id, eni.vpc_id, public_ip);
    if (way.outside_address.empty()) continue;
    config.outside_clients.push_back({model::SubnetBridgeName(eni.subnet_id), eni.ip, way.outside_address});
  }
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<const lb::Config>> BuildLbConfig(store::Store& store, Clock& clock,
                                                      const InstanceAddress& instance_address) {
  auto config = std::make_shared<lb::Config>();
  int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
  // One read per prefix; the records need not be from one revision: a listener naming a
  // target group that is not (yet) read forwards to an empty group until the next publish.
  ASSIGN_OR_RETURN(auto lbs, LoadRecords(store, model::keys::kLoadBalancers));
  std::map<std::string, int> idle_timeouts;  // load balancer arn -> seconds
  std::map<std::string, LbReach> reach;  // load balancer arn -> where it is reached
  bool names_groups = false;              // some load balancer's group admits another group
  for (const auto& r : lbs) {
    model::LoadBalancerRecord lb(r);
    idle_timeouts[lb.arn()] = lb.idle_timeout_seconds();
    LbReach& where = reach[lb.arn()];
    where.internal = !lb.internet_facing();
    where.vpc_id = lb.vpc_id();
    where.security_groups = lb.security_groups();
    for (const auto& i : lb.interfaces()) {
      if (!i.public_ip.empty()) where.public_addresses.push_back(i.public_ip);
      if (!i.ip.empty()) where.private_addresses.push_back(i.ip);
    }
  }
  // The load balancers' groups' rules, and the members of the groups they name.
  ASSIGN_OR_RETURN(auto group_records, LoadRecords(store, model::keys::kSecurityGroups));
  std::map<std::string, model::SecurityGroupRules> group_rules;
  for (const auto& g : group_records) {
    model::SecurityGroupRules rules = model::SecurityGroupRecord(g).rules();
    for (const auto& rule : rules.ingress) names_groups = names_groups || !rule.group_id.empty();
    std::string id = rules.group_id;
    group_rules.emplace(std::move(id), std::move(rules));
  }
  bool any_public = std::any_of(reach.begin(), reach.end(), [](const auto& r) { return !r.second.public_addresses.empty(); });
  std::map<std::string, std::vector<std::string>> members;  // group -> its live ENIs' addresses
  std::vector<model::TaskEni> live_enis;  // for the ways out, when some load balancer is public
  if (names_groups || any_public) {
    ASSIGN_OR_RETURN(auto tasks, LoadRecords(store, model::keys::kTasks));
    for (const auto& t : tasks) {
      if (!HasLiveEni(t)) continue;
      model::TaskRecord task(t);
      for (const auto& g : task.security_groups()) members[g].push_back(task.eni()->ip);
      if (any_public) live_enis.push_back(*task.eni());
    }
  }
  if (!live_enis.empty()) RETURN_IF_ERROR(AddOutsideClients(store, live_enis, *config));
  // A target in a VPC subnet is reached through that subnet's bridge on the node (two VPCs
  // may share a CIDR there: agent/network/network.h); a load balancer through its VPC's
  // bridges.
  ASSIGN_OR_RETURN(auto subnet_records, LoadRecords(store, model::keys::kSubnets));
  std::map<std::string, std::vector<std::pair<vpc::Ipv4Cidr, std::string>>> subnets;  // VPC -> (CIDR, bridge)
  std::map<std::string, std::vector<std::string>> bridges;                            // VPC -> bridges
  for (const auto& r : subnet_records) {
    model::SubnetRecord subnet(r);
    bridges[subnet.vpc_id()].push_back(model::SubnetBridgeName(subnet.id()));
    config->vpc_bridges.push_back(model::SubnetBridgeName(subnet.id()));
    if (auto cidr = vpc::ParseIpv4Cidr(subnet.cidr_block())) {
      subnets[subnet.vpc_id()].emplace_back(*cidr, model::SubnetBridgeName(subnet.id()));
    }
  }
  ASSIGN_OR_RETURN(auto rules, LoadRecords(store, model::keys::kRules));
  std::map<std::string, std::vector<model::RuleRecord>> rules_by_listener;
  for (const auto& r : rules) {
    model::RuleRecord rule(r);
    rules_by_listener[rule.listener_arn()].push_back(rule);
  }
  ASSIGN_OR_RETURN(auto listeners, LoadRecords(store, model::keys::kListeners));
  for (const auto& r : listeners) {
    model::ListenerRecord listener(r);
    lb::Listener out;
    out.arn = listener.arn();
    out.load_balancer_arn = listener.load_balancer_arn();
    if (!idle_timeouts.contains(out.load_balancer_arn)) continue;  // its load balancer is gone
    out.port = static_cast<uint16_t>(listener.port());
    out.protocol = listener.protocol();
    out.idle_timeout_seconds = idle_timeouts[out.load_balancer_arn];
    const LbReach& where = reach[out.load_balancer_arn];
    out.public_addresses = where.public_addresses;
    out.internal = where.internal;
    // Whatever the Scheme, its VPC reaches it at its interfaces' addresses (on AWS a task
    // connects to an internet-facing ALB's ENIs too; its DNS name gives the public ones).
    out.private_addresses = where.private_addresses;
    if (!where.vpc_id.empty()) {
      out.vpc_bridges = bridges[where.vpc_id];
      out.vpc_route_table = model::VpcRouteTable(where.vpc_id);
    }
    out.admitted_sources = AdmittedSources(where.security_groups, group_rules, out.port, members);
    for (const model::RuleRecord& rule : rules_by_listener[out.arn]) {
      lb::Rule x;
      x.arn = rule.arn();
      x.priority = rule.priority();
      for (const auto& c : rule.conditions()) x.conditions.push_back(ToCondition(c.get_object()));
      x.actions = ToActions(rule.actions());
      out.rules.push_back(std::move(x));
    }
    std::sort(out.rules.begin(), out.rules.end(),
              [](const lb::Rule& a, const lb::Rule& b) { return a.priority < b.priority; });
    lb::Rule fallback;
    fallback.arn = listener.default_rule_arn();
    fallback.is_default = true;
    fallback.actions = ToActions(listener.default_actions());
    out.rules.push_back(std::move(fallback));
    config->listeners.push_back(std::move(out));
  }
  // A target group's connections carry the mark of the load balancer that forwards to it (an
  // application load balancer's target group belongs to one).
  std::map<std::string, uint32_t> marks;  // target group arn -> mark
  for (const auto& listener : config->listeners) {
    for (const auto& rule : listener.rules) {
      for (const auto& action : rule.actions) {
        for (const auto& tg : action.target_groups) {
          marks.emplace(tg.arn, model::LoadBalancerMark(listener.load_balancer_arn));
        }
      }
    }
  }
  ASSIGN_OR_RETURN(auto groups, LoadRecords(store, model::keys::kTargetGroups));
  for (const auto& r : groups) {
    lb::TargetGroup tg = ToTargetGroup(r, now_ms, instance_address);
    if (auto it = marks.find(tg.arn); it != marks.end()) {
      for (auto& t : tg.targets) t.socket_mark = it->second;
    }
    if (auto in_vpc = subnets.find(GetString(model::TargetGroupRecord(r).shape(), "VpcId")); in_vpc != subnets.end()) {
      for (auto& t : tg.targets) {
        auto ip = vpc::ParseIpv4(t.ip);
        for (const auto& [cidr, bridge] : in_vpc->second) {
          if (ip && cidr.Contains(*ip)) t.bind_device = bridge;
        }
      }
    }
    std::string arn = tg.arn;
    config->target_groups.emplace(std::move(arn), std::move(tg));
  }
  return std::shared_ptr<const lb::Config>(std::move(config));
}

}  // namespace wharf::controlplane
