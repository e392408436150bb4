// Container health checks, as the ECS agent has Docker run them.
//
// Terms: a container definition's `healthCheck` is parsed once (ParseHealthCheck) into a
// HealthCheckConfig. A HealthMonitor then runs that check for one running container and
// keeps its health status the way Docker 20.10 computes it (daemon/health.go):
//   - the first probe runs `interval` after the container started; each next one runs
//     `interval` after the previous probe ended (no start-interval: ECS does not expose it);
//   - exit code 0 is a success, anything else (including a timeout, exit -1) a failure;
//   - a success makes the container HEALTHY and resets the failing streak;
//   - a failure adds to the failing streak, except while the container has never been
//     healthy and the probe started within `startPeriod` of the container's start;
//     `retries` consecutive counted failures make it UNHEALTHY;
//   - the status ECS reports is UNKNOWN until the first decision (Docker's "starting").
// TaskHealth folds container health into the task's healthStatus as ECS documents it.
//
// Thread-safety: a HealthMonitor belongs to one task runner and is used from its thread
// only; it has no thread or timer of its own: the runner calls Tick() from its loop and may
// sleep until next_due().
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace wharf::agent {

inline constexpr const char* kHealthUnknown = "UNKNOWN";
inline constexpr const char* kHealthHealthy = "HEALTHY";
inline constexpr const char* kHealthUnhealthy = "UNHEALTHY";

struct HealthCheckConfig {
  std::vector<std::string> argv;  // what runs in the container; CMD-SHELL: {"/bin/sh", "-c", text}
  std::chrono::seconds interval{30};
  std::chrono::seconds timeout{5};
  std::chrono::seconds start_period{0};
  int retries = 3;
};

// The containerDefinition's healthCheck object. std::nullopt when the command is ["NONE"].
// InvalidArgument when the command is missing, empty or of an unknown type, or a value is
// out of the documented range: interval 5..300, timeout 2..60, retries 1..10,
// startPeriod 0..300 (seconds).
Result<std::optional<HealthCheckConfig>> ParseHealthCheck(const boost::json::object& health_check);

// What one probe produced.
struct ProbeResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr, possibly truncated
};

// Runs argv in the container and waits at most `timeout` for it. Unavailable when the
// timeout passed (the probe must have been killed by then); any other error means the probe
// could not run. Both count as a failed check, as in Docker.
using ExecFn = std::function<Result<ProbeResult>(const std::vector<std::string>& argv,
                                                 std::chrono::milliseconds timeout)>;

// What DescribeTasks and the task metadata endpoint show of a container's health.
struct HealthReport {
  std::string status = kHealthUnknown;
  std::chrono::system_clock::time_point since;  // when status last changed (or monitoring began)
  std::optional<int> exit_code;                  // of the last probe; nullopt before the first
  std::string output;                            // of the last probe
};

class HealthMonitor {
 public:
  HealthMonitor(HealthCheckConfig config, ExecFn exec, Clock& clock,
                std::chrono::system_clock::time_point started_at);

  // Runs the probe if it is due. True when the status changed.
  bool Tick();

  const std::string& status() const { return report_.status; }
  const HealthReport& report() const { return report_; }
  int failing_streak() const { return failing_streak_; }
  // When the next probe is due.
  std::chrono::system_clock::time_point next_due() const { return next_due_; }

 private:
  // Docker's handleProbeResult.
  void Record(std::chrono::system_clock::time_point probe_start, const ProbeResult& result);

  const HealthCheckConfig config_;
  const ExecFn exec_;
  Clock& clock_;
  const std::chrono::system_clock::time_point started_at_;

  std::chrono::system_clock::time_point next_due_;
  int failing_streak_ = 0;
  HealthReport report_;
};

// The task's healthStatus from its containers: {essential, the container's health status or
// nullopt when it has no health check}. Containers without a health check do not count.
// The essential containers with a check decide; when no essential container has one, the
// non-essential ones with a check do; with none at all the task is UNKNOWN. Among those that
// decide: any UNHEALTHY -> UNHEALTHY, else any UNKNOWN -> UNKNOWN, else HEALTHY.
std::string TaskHealth(const std::vector<std::pair<bool, std::optional<std::string>>>& containers);

}  // namespace wharf::agent
