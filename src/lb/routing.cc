#include "lb/routing.h"

#include <algorithm>

#include "lb/health_checker.h"

namespace wharf::lb {

const Listener* Routing::FindListener(const std::string& arn) const {
  for (const auto& l : config->listeners) {
    if (l.arn == arn) return &l;
  }
  return nullptr;
}

const RoutedGroup* Routing::FindGroup(const std::string& arn) const {
  auto it = groups.find(arn);
  return it == groups.end() ? nullptr : &it->second;
}

std::string GroupToken(const std::string& arn) {
  return std::to_string(std::hash<std::string>{}(arn) % 1000000007ULL);
}

uint32_t RoutingIds::IdOf(std::unordered_map<std::string, uint32_t>& ids, const std::string& key) {
  auto [it, added] = ids.try_emplace(key, static_cast<uint32_t>(ids.size()));
  return it->second;
}

std::shared_ptr<const Routing> RoutingIds::Build(std::shared_ptr<const Config> config) {
  auto routing = std::make_shared<Routing>();
  routing->config = config;
  for (const auto& [arn, tg] : config->target_groups) {
    RoutedGroup& group = routing->groups[arn];
    group.group = &tg;
    group.id = IdOf(groups_, arn);
    group.least_outstanding = tg.algorithm == "least_outstanding_requests";
    group.group_cookie = "AWSALBTG=" + GroupToken(arn);
    group.targets.reserve(tg.targets.size());
    for (const auto& t : tg.targets) {
      RoutedTarget r;
      r.target = &t;
      r.sticky = t.ip + ":" + std::to_string(t.port);
      r.health_key = HealthKey(arn, t);
      r.id = IdOf(targets_, r.health_key);
      // One address in two VPCs is two endpoints: a pooled connection keeps its bridge.
      r.endpoint = IdOf(endpoints_, t.bind_device.empty() ? r.sticky : r.sticky + "%" + t.bind_device);
      boost::system::error_code ec;
      auto address = boost::asio::ip::make_address(t.ip, ec);
      r.address_ok = !ec;
      if (!ec) r.address = boost::asio::ip::tcp::endpoint(address, t.port);
      group.targets.push_back(std::move(r));
    }
    for (const auto& r : group.targets) {
      if (!r.target->draining) group.live.push_back(&r);
    }
  }
  for (const auto& listener : config->listeners) {
    for (const auto& rule : listener.rules) {
      for (const auto& action : rule.actions) {
        if (action.type != "forward") continue;
        RoutedForward& forward = routing->forwards[&action];
        for (const auto& w : action.target_groups) {
          int weight = std::max(0, w.weight);
          forward.choices.push_back({routing->FindGroup(w.arn), weight});
          forward.total_weight += weight;
        }
      }
    }
  }
  routing->target_ids = static_cast<uint32_t>(targets_.size());
  routing->endpoint_ids = static_cast<uint32_t>(endpoints_.size());
  routing->group_ids = static_cast<uint32_t>(groups_.size());
  return routing;
}

}  // namespace wharf::lb
