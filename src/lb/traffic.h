// What the load balancer counts for CloudWatch (AWS/ApplicationELB): per load balancer and
// per target group behind it, requests, answers by class (the target's and the load
// balancer's own), and target response times.
//
// Each loop counts its own requests in its LoopState (no shared counter on the request path);
// DataPlaneControl::TakeTraffic collects and resets every loop's counts, on each loop's
// thread, and adds the targets' health per group. Response times are kept as a histogram of
// whole milliseconds, so a minute of traffic costs memory by its spread, not its volume.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace wharf::lb {

struct TrafficCounts {
  uint64_t requests = 0;
  uint64_t target_2xx = 0, target_3xx = 0, target_4xx = 0, target_5xx = 0;
  uint64_t elb_3xx = 0, elb_4xx = 0, elb_5xx = 0;
  std::map<int64_t, uint64_t> response_ms;  // target response time (ms) -> how many

  void CountTarget(int status, int64_t ms);
  void CountElb(int status);
  void Merge(const TrafficCounts& other);
};

struct GroupHealth {
  int healthy = 0;
  int unhealthy = 0;
};

// One load balancer's: all its requests, and those forwarded to each target group.
struct LoadBalancerTraffic {
  TrafficCounts total;
  std::map<std::string, TrafficCounts> groups;  // by target group ARN
  // Every target group its listeners forward to, with its targets' health (TakeTraffic).
  std::map<std::string, GroupHealth> health;
};

struct TrafficReport {
  std::map<std::string, LoadBalancerTraffic> load_balancers;  // by load balancer ARN

  void Merge(const TrafficReport& other);
};

}  // namespace wharf::lb
