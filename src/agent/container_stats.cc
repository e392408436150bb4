#include "agent/container_stats.h"

#include <boost/json/array.hpp>
#include <fstream>
#include <sstream>

#include "agent/task_metadata.h"
#include "base/file_contents.h"

namespace wharf::agent {
namespace json = boost::json;

namespace {

// Docker's assumption for /proc/stat and cpuacct.stat ticks (USER_HZ on Linux).
constexpr uint64_t kNanosPerTick = 1'000'000'000 / 100;

std::optional<uint64_t> ReadNumber(const std::string& path) {
  auto text = ReadFileContents(path);
  if (!text) return std::nullopt;
  try {
    return std::stoull(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// "key value" lines (memory.stat, cpuacct.stat, cpu.stat).
std::map<std::string, uint64_t> ReadKeyValues(const std::string& path) {
  std::map<std::string, uint64_t> out;
  auto text = ReadFileContents(path);
  if (!text) return out;
  std::istringstream in(*text);
  std::string key;
  uint64_t value;
  while (in >> key >> value) out[key] = value;
  return out;
}

std::string Dir(const StatsPaths& paths, const char* controller, const std::string& cgroup_path) {
  std::string rel = cgroup_path;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  return paths.cgroup_root + "/" + controller + "/" + rel + "/";
}

json::object CpuStats(const CgroupSample& s) {
  json::array percpu;
  for (uint64_t v : s.cpu_percpu) percpu.emplace_back(v);
  return json::object{
      {"cpu_usage", json::object{{"total_usage", s.cpu_total},
                                 {"percpu_usage", std::move(percpu)},
                                 {"usage_in_kernelmode", s.cpu_system},
                                 {"usage_in_usermode", s.cpu_user}}},
      {"system_cpu_usage", s.system_cpu_usage},
      {"online_cpus", s.online_cpus},
      {"throttling_data", json::object{{"periods", s.throttle_periods},
                                       {"throttled_periods", s.throttled_periods},
                                       {"throttled_time", s.throttled_time}}}};
}

}  // namespace

Result<CgroupSample> ReadCgroupV1(const StatsPaths& paths, const std::string& cgroup_path, Clock& clock) {
  CgroupSample s;
  s.read = clock.Now();
  std::string memory = Dir(paths, "memory", cgroup_path);
  std::string cpuacct = Dir(paths, "cpuacct", cgroup_path);
  auto usage = ReadNumber(memory + "memory.usage_in_bytes");
  auto limit = ReadNumber(memory + "memory.limit_in_bytes");
  auto total = ReadNumber(cpuacct + "cpuacct.usage");
  if (!usage || !limit) return Status::NotFound("no memory cgroup at " + memory);
  if (!total) return Status::NotFound("no cpuacct cgroup at " + cpuacct);
  s.memory_usage = *usage;
  s.memory_limit = *limit;
  s.memory_max_usage = ReadNumber(memory + "memory.max_usage_in_bytes").value_or(0);
  s.memory_stat = ReadKeyValues(memory + "memory.stat");
  s.cpu_total = *total;
  if (auto percpu = ReadFileContents(cpuacct + "cpuacct.usage_percpu")) {
    std::istringstream in(*percpu);
    uint64_t v;
    while (in >> v) s.cpu_percpu.push_back(v);
  }
  auto ticks = ReadKeyValues(cpuacct + "cpuacct.stat");
  s.cpu_user = ticks["user"] * kNanosPerTick;
  s.cpu_system = ticks["system"] * kNanosPerTick;
  auto throttling = ReadKeyValues(Dir(paths, "cpu", cgroup_path) + "cpu.stat");
  s.throttle_periods = throttling["nr_periods"];
  s.throttled_periods = throttling["nr_throttled"];
  s.throttled_time = throttling["throttled_time"];
  s.pids_current = ReadNumber(Dir(paths, "pids", cgroup_path) + "pids.current");

  // Host CPU time, as Docker's system_cpu_usage: the "cpu" line's fields in ticks.
  if (auto stat = ReadFileContents(paths.proc_stat)) {
    std::istringstream in(*stat);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("cpu ", 0) == 0) {
        std::istringstream fields(line.substr(4));
        uint64_t v, sum = 0;
        for (int i = 0; i < 7 && fields >> v; ++i) sum += v;  // user..softirq, as Docker
        s.system_cpu_usage = sum * kNanosPerTick;
      } else if (line.rfind("cpu", 0) == 0) {
        ++s.online_cpus;
      }
    }
  }
  if (s.online_cpus == 0) s.online_cpus = static_cast<uint32_t>(s.cpu_percpu.size());
  return s;
}

Result<std::map<std::string, NetworkCounters>> ReadNetDev(const std::string& path) {
  auto text = ReadFileContents(path);
  if (!text) return Status::NotFound("cannot read " + path);
  std::map<std::string, NetworkCounters> out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream f(line.substr(colon + 1));
    uint64_t v[16] = {};
    for (uint64_t& x : v) f >> x;
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes packets errs drop ...
    out[name] = NetworkCounters{v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]};
  }
  return out;
}

json::object DockerStats(const CgroupSample& now, const std::optional<CgroupSample>& previous,
                         const std::string& name, const std::string& id) {
  json::object out;
  out["read"] = MetadataTime(now.read);
  // Docker's zero time when there is no earlier reading.
  out["preread"] = previous ? MetadataTime(previous->read) : "0001-01-01T00:00:00Z";
  json::object pids;
  if (now.pids_current) pids["current"] = *now.pids_current;
  out["pids_stats"] = std::move(pids);
  json::object blkio;
  for (const char* k : {"io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive",
                        "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive",
                        "io_time_recursive", "sectors_recursive"}) {
    blkio[k] = json::array();
  }
  out["blkio_stats"] = std::move(blkio);
  out["num_procs"] = 0;
  out["storage_stats"] = json::object();
  out["cpu_stats"] = CpuStats(now);
  out["precpu_stats"] = CpuStats(previous ? *previous : CgroupSample{});
  json::object stat;
  for (const auto& [k, v] : now.memory_stat) stat[k] = v;
  out["memory_stats"] = json::object{{"usage", now.memory_usage},
                                     {"max_usage", now.memory_max_usage},
                                     {"stats", std::move(stat)},
                                     {"limit", now.memory_limit}};
  out["name"] = "/" + name;
  out["id"] = id;
  if (!now.networks.empty()) {
    json::object networks;
    uint64_t rx = 0, tx = 0, prx = 0, ptx = 0;
    for (const auto& [iface, c] : now.networks) {
      networks[iface] = json::object{{"rx_bytes", c.rx_bytes},     {"rx_packets", c.rx_packets},
                                     {"rx_errors", c.rx_errors},   {"rx_dropped", c.rx_dropped},
                                     {"tx_bytes", c.tx_bytes},     {"tx_packets", c.tx_packets},
                                     {"tx_errors", c.tx_errors},   {"tx_dropped", c.tx_dropped}};
      rx += c.rx_bytes;
      tx += c.tx_bytes;
    }
    out["networks"] = std::move(networks);
    double rx_rate = 0, tx_rate = 0;
    if (previous && now.read > previous->read) {
      for (const auto& [iface, c] : previous->networks) {
        prx += c.rx_bytes;
        ptx += c.tx_bytes;
      }
      double secs = std::chrono::duration<double>(now.read - previous->read).count();
      if (rx >= prx) rx_rate = static_cast<double>(rx - prx) / secs;
      if (tx >= ptx) tx_rate = static_cast<double>(tx - ptx) / secs;
    }
    out["network_rate_stats"] = json::object{{"rx_bytes_per_sec", rx_rate}, {"tx_bytes_per_sec", tx_rate}};
  }
  return out;
}

}  // namespace wharf::agent
