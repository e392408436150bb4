#include "agent/health_check.h"

#include <boost/json/array.hpp>

namespace wharf::agent {
namespace json = boost::json;
using std::chrono::seconds;

namespace {

// Docker keeps at most this much of a probe's output.
constexpr size_t kMaxOutput = 4096;

// An integer field in [lo, hi], or `fallback` when absent.
Result<int64_t> IntField(const json::object& o, const char* name, int64_t fallback, int64_t lo, int64_t hi,
                         const char* unit) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return fallback;
  const json::value& v = it->value();
  int64_t n = 0;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(hi)) {
    n = static_cast<int64_t>(v.get_uint64());
  } else if (v.is_double() && v.get_double() == static_cast<double>(static_cast<int64_t>(v.get_double()))) {
    n = static_cast<int64_t>(v.get_double());
  } else {
    return Status::InvalidArgument(std::string("healthCheck ") + name + " must be an integer");
  }
  if (n < lo || n > hi) {
    return Status::InvalidArgument(std::string("healthCheck ") + name + " must be between " +
                                   std::to_string(lo) + " and " + std::to_string(hi) + " " + unit +
                                   ", got " + std::to_string(n));
  }
  return n;
}

// Go's time.Duration.String() for whole seconds, as Docker prints the timeout.
std::string GoDuration(seconds s) {
  int64_t n = s.count();
  if (n < 60) return std::to_string(n) + "s";
  if (n < 3600) return std::to_string(n / 60) + "m" + std::to_string(n % 60) + "s";
  return std::to_string(n / 3600) + "h" + std::to_string(n % 3600 / 60) + "m" + std::to_string(n % 60) + "s";
}

}  // namespace

Result<std::optional<HealthCheckConfig>> ParseHealthCheck(const json::object& health_check) {
  auto cmd = health_check.find("command");
  if (cmd == health_check.end() || !cmd->value().is_array() || cmd->value().get_array().empty()) {
    return Status::InvalidArgument("healthCheck command must be a non-empty array of strings");
  }
  std::vector<std::string> command;
  for (const json::value& v : cmd->value().get_array()) {
    if (!v.is_string()) return Status::InvalidArgument("healthCheck command must be an array of strings");
    command.emplace_back(v.get_string());
  }
  const std::string& type = command[0];
  if (type == "NONE") return std::optional<HealthCheckConfig>();

  HealthCheckConfig config;
  if (type == "CMD") {
    if (command.size() < 2) return Status::InvalidArgument("healthCheck command CMD needs a program to run");
    config.argv.assign(command.begin() + 1, command.end());
  } else if (type == "CMD-SHELL") {
    if (command.size() < 2) return Status::InvalidArgument("healthCheck command CMD-SHELL needs a shell command");
    // Docker appends every remaining element after `/bin/sh -c`, so extra ones become $0...
    config.argv = {"/bin/sh", "-c"};
    config.argv.insert(config.argv.end(), command.begin() + 1, command.end());
  } else {
    return Status::InvalidArgument("healthCheck command must start with CMD, CMD-SHELL or NONE, got '" + type + "'");
  }

  ASSIGN_OR_RETURN(int64_t interval, IntField(health_check, "interval", 30, 5, 300, "seconds"));
  ASSIGN_OR_RETURN(int64_t timeout, IntField(health_check, "timeout", 5, 2, 60, "seconds"));
  ASSIGN_OR_RETURN(int64_t retries, IntField(health_check, "retries", 3, 1, 10, "retries"));
  ASSIGN_OR_RETURN(int64_t start_period, IntField(health_check, "startPeriod", 0, 0, 300, "seconds"));
  config.interval = seconds(interval);
  config.timeout = seconds(timeout);
  config.retries = static_cast<int>(retries);
  config.start_period = seconds(start_period);
  return std::optional<HealthCheckConfig>(std::move(config));
}

HealthMonitor::HealthMonitor(HealthCheckConfig config, ExecFn exec, Clock& clock,
                             std::chrono::system_clock::time_point started_at)
    : config_(std::move(config)), exec_(std::move(exec)), clock_(clock), started_at_(started_at) {
  next_due_ = started_at_ + config_.interval;
  report_.since = clock_.Now();
}

bool HealthMonitor::Tick() {
  auto start = clock_.Now();
  if (start < next_due_) return false;
  std::string before = report_.status;

  Result<ProbeResult> result = exec_(config_.argv, config_.timeout);
  ProbeResult probe;
  if (result.ok()) {
    probe = std::move(result).value();
  } else if (result.status().IsUnavailable()) {
    probe = {-1, "Health check exceeded timeout (" + GoDuration(config_.timeout) + ")"};
  } else {
    probe = {-1, result.status().message()};
  }
  Record(start, probe);
  // Docker re-arms its timer once the probe is over, so a slow probe delays the next one.
  next_due_ = clock_.Now() + config_.interval;
  return report_.status != before;
}

void HealthMonitor::Record(std::chrono::system_clock::time_point probe_start, const ProbeResult& result) {
  report_.exit_code = result.exit_code;
  report_.output = result.output.size() > kMaxOutput ? result.output.substr(0, kMaxOutput) + "..." : result.output;

  std::string status = report_.status;
  if (result.exit_code == 0) {
    failing_streak_ = 0;
    status = kHealthHealthy;
  } else {
    // Only while "starting" (never yet healthy or unhealthy) does the start period forgive.
    bool forgiven = report_.status == kHealthUnknown && probe_start - started_at_ < config_.start_period;
    if (!forgiven) {
      ++failing_streak_;
      if (failing_streak_ >= config_.retries) status = kHealthUnhealthy;
    }
  }
  if (status != report_.status) {
    report_.status = status;
    report_.since = clock_.Now();
  }
}

std::string TaskHealth(const std::vector<std::pair<bool, std::optional<std::string>>>& containers) {
  bool essential_checked = false;
  for (const auto& [essential, health] : containers) essential_checked |= essential && health.has_value();

  bool any = false, unknown = false;
  for (const auto& [essential, health] : containers) {
    if (!health || essential != essential_checked) continue;
    any = true;
    if (*health == kHealthUnhealthy) return kHealthUnhealthy;
    if (*health != kHealthHealthy) unknown = true;
  }
  return !any || unknown ? kHealthUnknown : kHealthHealthy;
}

}  // namespace wharf::agent
