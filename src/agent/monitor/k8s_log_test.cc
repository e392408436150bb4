#include "agent/monitor/k8s_log.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "agent/log_shipper.h"

namespace wharf::monitor {
namespace {

TEST(K8sLog, RecordsOfOneReadAsConmonWritesThem) {
  std::string out;
  AppendK8sRecords("T", "stdout", "one\ntwo\nthr", &out);
  EXPECT_EQ(out, "T stdout F one\nT stdout F two\nT stdout P thr\n");
  out.clear();
  AppendK8sRecords("T", "stderr", "\n", &out);
  EXPECT_EQ(out, "T stderr F \n");
  out.clear();
  AppendK8sRecords("T", "stderr", "", &out);
  EXPECT_EQ(out, "");
}

TEST(K8sLog, TimestampIsRfc3339NanoWithTheLocalOffset) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(K8sTimestamp(timespec{1795309323, 5}), "2026-11-22T01:02:03.000000005+00:00");
  setenv("TZ", "EST5", 1);
  tzset();
  EXPECT_EQ(K8sTimestamp(timespec{1795309323, 123456789}), "2026-11-21T20:02:03.123456789-05:00");
  unsetenv("TZ");
  tzset();
}

// What the monitor writes is what the awslogs shipper reads.
TEST(K8sLog, TheShippersParserReadsTheRecords) {
  std::string out;
  AppendK8sRecords(K8sTimestamp(timespec{1795309323, 500000000}), "stderr", "hello world\npart", &out);
  std::istringstream lines(out);
  std::string line;
  agent::LogRecord r;
  ASSERT_TRUE(std::getline(lines, line));
  ASSERT_TRUE(agent::ParseLogRecord(line, &r)) << line;
  EXPECT_EQ(r.timestamp_ms, 1795309323500);
  EXPECT_EQ(r.text, "hello world");
  EXPECT_FALSE(r.partial);
  ASSERT_TRUE(std::getline(lines, line));
  ASSERT_TRUE(agent::ParseLogRecord(line, &r)) << line;
  EXPECT_EQ(r.text, "part");
  EXPECT_TRUE(r.partial);
}

}  // namespace
}  // namespace wharf::monitor
