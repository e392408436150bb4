// Routing: a Config with what the request path needs worked out ahead of time, once per
// Apply and never per request. Listeners and target groups are reached by pointer, target
// addresses are parsed, and every target gets small ids that stay the same from one
// snapshot to the next, so the per-loop counters (round robin, outstanding requests), the
// upstream pool and the health view are vectors indexed by id rather than maps keyed by
// "ip:port" strings.
//
// Thread-safety: a built Routing is immutable and read by every loop. RoutingIds is not
// thread-safe; the data plane builds under its own lock.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "lb/config.h"

namespace wharf::lb {

struct RoutedTarget {
  const Target* target = nullptr;
  // Same (target group, ip, port) -> same id in every snapshot: outstanding requests and
  // health are counted per id, across configuration changes.
  uint32_t id = 0;
  // Same ip:port (and bind_device) -> same endpoint in every snapshot, whatever its group:
  // the upstream pool.
  uint32_t endpoint = 0;
  boost::asio::ip::tcp::endpoint address;
  bool address_ok = false;
  std::string sticky;      // the AWSALB cookie value that names it: "<ip>:<port>"
  std::string health_key;  // its key in the health checker's map (HealthKey)
};

struct RoutedGroup {
  const TargetGroup* group = nullptr;
  uint32_t id = 0;  // index of its round-robin counter
  std::vector<RoutedTarget> targets;   // every target, the config's order
  std::vector<const RoutedTarget*> live;  // those not draining: the ones that take requests
  bool least_outstanding = false;
  std::string group_cookie;  // "AWSALBTG=<token>": group stickiness of a weighted forward
};

// A forward action's target groups, resolved.
struct RoutedForward {
  struct Choice {
    const RoutedGroup* group = nullptr;  // null: the action names a group the snapshot lacks
    int weight = 0;                      // negative weights count as 0
  };
  std::vector<Choice> choices;
  int total_weight = 0;
};

struct Routing {
  std::shared_ptr<const Config> config;
  std::unordered_map<std::string, RoutedGroup> groups;  // by target group ARN
  std::unordered_map<const Action*, RoutedForward> forwards;
  // Every id in this snapshot is below these (per-loop vectors are sized by them).
  uint32_t target_ids = 0, endpoint_ids = 0, group_ids = 0;

  const Listener* FindListener(const std::string& arn) const;
  const RoutedGroup* FindGroup(const std::string& arn) const;
};

// The AWSALBTG value for a target group.
std::string GroupToken(const std::string& target_group_arn);

// Hands out the stable ids. Ids are never reused: an in-flight request may still count
// against the id of a target that has left the configuration.
class RoutingIds {
 public:
  std::shared_ptr<const Routing> Build(std::shared_ptr<const Config> config);

 private:
  uint32_t IdOf(std::unordered_map<std::string, uint32_t>& ids, const std::string& key);
  std::unordered_map<std::string, uint32_t> targets_, endpoints_, groups_;
};

}  // namespace wharf::lb
