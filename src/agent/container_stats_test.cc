#include "agent/container_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace wharf::agent {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono;

// A fake /sys/fs/cgroup and /proc under a temporary directory, removed afterwards.
class FakeTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("wharf-stats-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    paths_.cgroup_root = (root_ / "cgroup").string();
    paths_.proc_stat = (root_ / "proc-stat").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void WriteContainer(const std::string& cg) {
    Write("cgroup/memory/" + cg + "/memory.usage_in_bytes", "1806336\n");
    Write("cgroup/memory/" + cg + "/memory.limit_in_bytes", "134217728\n");
    Write("cgroup/memory/" + cg + "/memory.max_usage_in_bytes", "6299648\n");
    Write("cgroup/memory/" + cg + "/memory.stat", "cache 0\nrss 606208\ntotal_rss 606208\n");
    Write("cgroup/cpuacct/" + cg + "/cpuacct.usage", "360968065\n");
    Write("cgroup/cpuacct/" + cg + "/cpuacct.usage_percpu", "182359190 178608875 \n");
    Write("cgroup/cpuacct/" + cg + "/cpuacct.stat", "user 29\nsystem 4\n");
    Write("cgroup/cpu/" + cg + "/cpu.stat", "nr_periods 7\nnr_throttled 2\nthrottled_time 1234\n");
    Write("cgroup/pids/" + cg + "/pids.current", "3\n");
    Write("proc-stat", "cpu  100 0 50 1000 10 0 5 0 0 0\ncpu0 50 0 25 500 5 0 2 0 0 0\n"
                       "cpu1 50 0 25 500 5 0 3 0 0 0\nintr 1\n");
  }

  fs::path root_;
  StatsPaths paths_;
  ManualClock clock_{system_clock::time_point(seconds(1601599873))};
};

TEST_F(FakeTree, ReadsCgroupV1Files) {
  WriteContainer("wharf/task1/web");
  auto s = ReadCgroupV1(paths_, "/wharf/task1/web", clock_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->memory_usage, 1806336u);
  EXPECT_EQ(s->memory_limit, 134217728u);
  EXPECT_EQ(s->memory_max_usage, 6299648u);
  EXPECT_EQ(s->memory_stat.at("rss"), 606208u);
  EXPECT_EQ(s->cpu_total, 360968065u);
  EXPECT_EQ(s->cpu_percpu, (std::vector<uint64_t>{182359190, 178608875}));
  EXPECT_EQ(s->cpu_user, 290000000u);
  EXPECT_EQ(s->cpu_system, 40000000u);
  EXPECT_EQ(s->throttled_periods, 2u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->system_cpu_usage, uint64_t{100 + 50 + 1000 + 10 + 5} * 10'000'000);
  EXPECT_EQ(s->online_cpus, 2u);
}

TEST_F(FakeTree, MissingCgroupIsNotFoundAndOptionalFilesMayLack) {
  EXPECT_TRUE(ReadCgroupV1(paths_, "gone", clock_).status().IsNotFound());
  Write("cgroup/memory/min/memory.usage_in_bytes", "10\n");
  Write("cgroup/memory/min/memory.limit_in_bytes", "20\n");
  Write("cgroup/cpuacct/min/cpuacct.usage", "30\n");
  auto s = ReadCgroupV1(paths_, "min", clock_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->cpu_total, 30u);
  EXPECT_FALSE(s->pids_current.has_value());
}

TEST_F(FakeTree, DockerStatsShape) {
  WriteContainer("c");
  Write("net-dev",
        "Inter-|   Receive                                                |  Transmit\n"
        " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
        "    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0\n"
        "  eth0:    1084      12    0    1    0     0          0         0      884      10    0    0    0     0       0          0\n");
  auto first = ReadCgroupV1(paths_, "c", clock_);
  ASSERT_TRUE(first.ok());
  auto net = ReadNetDev((root_ / "net-dev").string());
  ASSERT_TRUE(net.ok());
  ASSERT_EQ(net->size(), 1u);
  EXPECT_EQ(net->at("eth0").rx_bytes, 1084u);
  EXPECT_EQ(net->at("eth0").rx_dropped, 1u);
  EXPECT_EQ(net->at("eth0").tx_packets, 10u);
  first->networks = *net;

  json::object alone = DockerStats(*first, std::nullopt, "ecs-curltest-26-curl-c2e5", "5fc2");
  EXPECT_EQ(alone.at("read"), "2020-10-02T00:51:13Z");
  EXPECT_EQ(alone.at("preread"), "0001-01-01T00:00:00Z");

  clock_.Advance(seconds(2));
  auto second = ReadCgroupV1(paths_, "c", clock_);
  ASSERT_TRUE(second.ok());
  second->networks = *net;
  second->networks["eth0"].rx_bytes += 2000;
  json::object s = DockerStats(*second, *first, "ecs-curltest-26-curl-c2e5", "5fc2");

  EXPECT_EQ(s.at("read"), "2020-10-02T00:51:15Z");
  EXPECT_EQ(s.at("preread"), "2020-10-02T00:51:13Z");
  EXPECT_EQ(s.at("name"), "/ecs-curltest-26-curl-c2e5");
  EXPECT_EQ(s.at("id"), "5fc2");
  EXPECT_EQ(s.at("pids_stats").as_object().at("current").as_uint64(), 3u);
  EXPECT_TRUE(s.at("blkio_stats").as_object().at("io_service_bytes_recursive").as_array().empty());
  const json::object& mem = s.at("memory_stats").as_object();
  EXPECT_EQ(mem.at("usage").as_uint64(), 1806336u);
  EXPECT_EQ(mem.at("limit").as_uint64(), 134217728u);
  EXPECT_EQ(mem.at("max_usage").as_uint64(), 6299648u);
  EXPECT_EQ(mem.at("stats").as_object().at("rss").as_uint64(), 606208u);
  const json::object& cpu = s.at("cpu_stats").as_object();
  EXPECT_EQ(cpu.at("cpu_usage").as_object().at("total_usage").as_uint64(), 360968065u);
  EXPECT_EQ(cpu.at("cpu_usage").as_object().at("percpu_usage").as_array().size(), 2u);
  EXPECT_EQ(cpu.at("cpu_usage").as_object().at("usage_in_usermode").as_uint64(), 290000000u);
  EXPECT_EQ(cpu.at("online_cpus").as_uint64(), 2u);
  EXPECT_EQ(cpu.at("throttling_data").as_object().at("throttled_time").as_uint64(), 1234u);
  EXPECT_TRUE(s.at("precpu_stats").as_object().contains("system_cpu_usage"));
  EXPECT_EQ(s.at("networks").as_object().at("eth0").as_object().at("rx_bytes").as_uint64(), 3084u);
  EXPECT_DOUBLE_EQ(s.at("network_rate_stats").as_object().at("rx_bytes_per_sec").as_double(), 1000.0);
  EXPECT_DOUBLE_EQ(s.at("network_rate_stats").as_object().at("tx_bytes_per_sec").as_double(), 0.0);
}

TEST(ReadCgroupV1, ReadsThisHostsRootCgroup) {
  if (!fs::exists("/sys/fs/cgroup/memory/memory.usage_in_bytes")) GTEST_SKIP() << "no cgroup v1 memory controller";
  ManualClock clock(system_clock::now());
  auto s = ReadCgroupV1(StatsPaths{}, "/", clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_GT(s->memory_usage, 0u);
  EXPECT_GT(s->cpu_total, 0u);
  EXPECT_GT(s->online_cpus, 0u);
}

}  // namespace
}  // namespace wharf::agent
