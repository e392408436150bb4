// HealthChecker: ALB's active health checks, exactly as a target group configures them
// (path, port, matcher, interval, timeout, thresholds), run on one event loop of its own.
//
// Each checked target moves between AWS's states: initial -> healthy after
// HealthyThresholdCount consecutive passes, -> unhealthy after UnhealthyThresholdCount
// consecutive failures, and back. Results are published as an immutable map that the proxy
// loops read without locks (STYLE 7).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "lb/config.h"

namespace wharf::lb {

struct HealthState {
  std::string state = "initial";  // initial | healthy | unhealthy
  int64_t healthy_since_ms = 0;   // steady-clock time it last became healthy (slow start)
  std::string reason = "Elb.InitialHealthChecking";
  std::string description = "Initial health checks in progress";
};

// Key: "<target group arn>|<ip>:<port>".
using HealthMap = std::map<std::string, HealthState>;
std::string HealthKey(const std::string& target_group_arn, const Target& target);

class HealthChecker {
 public:
  HealthChecker();
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Starts checking what `config` routes to and stops checking the rest.
  void Update(std::shared_ptr<const Config> config);
  std::shared_ptr<const HealthMap> Snapshot() const { return published_.load(); }
  // Bumped after every publish: a loop compares it with the one its cached view was made
  // from instead of loading the snapshot (an atomic shared_ptr load) on every request.
  uint64_t Generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  void PublishSnapshot(std::shared_ptr<const HealthMap> map);
  std::atomic<std::shared_ptr<const HealthMap>> published_;
  std::atomic<uint64_t> generation_{0};
};

// Whether an HTTP status satisfies a matcher such as "200", "200,202" or "200-299".
bool MatcherAccepts(const std::string& matcher, int status);

}  // namespace wharf::lb
