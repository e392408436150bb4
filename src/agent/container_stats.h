// Container stats in the shape of Docker's stats API (what the task metadata endpoint v4
// serves at /stats and /task/stats), read from cgroup v1 files.
//
// Terms: a sample is one reading of a container's cgroup (memory, cpuacct, cpu, pids
// controllers under <cgroup_root>/<controller>/<cgroup path>) plus the host's /proc/stat and,
// when asked, the network counters of the container's namespace (/proc/<pid>/net/dev).
// DockerStats turns the current sample and the previous one into the document, as Docker
// does with "preread"/"precpu_stats"; the ECS agent's "network_rate_stats" come from the
// same pair.
//
// The file system roots are parameters so tests run on a fake tree. Pure functions apart
// from the reads; thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace wharf::agent {

struct NetworkCounters {
  uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};

struct CgroupSample {
  std::chrono::system_clock::time_point read;
  // memory controller
  uint64_t memory_usage = 0, memory_max_usage = 0, memory_limit = 0;
  std::map<std::string, uint64_t> memory_stat;  // memory.stat
  // cpuacct and cpu controllers; nanoseconds
  uint64_t cpu_total = 0, cpu_user = 0, cpu_system = 0;
  std::vector<uint64_t> cpu_percpu;
  uint64_t throttle_periods = 0, throttled_periods = 0, throttled_time = 0;
  // host
  uint64_t system_cpu_usage = 0;  // nanoseconds, from /proc/stat
  uint32_t online_cpus = 0;
  std::optional<uint64_t> pids_current;
  std::map<std::string, NetworkCounters> networks;  // by interface, without lo
};

struct StatsPaths {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_stat = "/proc/stat";
};

// Reads a container's cgroup v1 files. NotFound when its memory or cpuacct cgroup is gone;
// the optional files (memory.stat, cpuacct.usage_percpu, cpuacct.stat, cpu.stat, pids.current)
// are skipped when absent.
Result<CgroupSample> ReadCgroupV1(const StatsPaths& paths, const std::string& cgroup_path, Clock& clock);

// Parses a /proc/<pid>/net/dev file (the counters of that process's network namespace),
// leaving out the loopback interface.
Result<std::map<std::string, NetworkCounters>> ReadNetDev(const std::string& path);

// The Docker stats document. `name` is the container's Docker name (shown as "/name").
boost::json::object DockerStats(const CgroupSample& now, const std::optional<CgroupSample>& previous,
                                const std::string& name, const std::string& id);

}  // namespace wharf::agent
