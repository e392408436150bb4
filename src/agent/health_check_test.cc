#include "agent/health_check.h"

#include <boost/json/parse.hpp>
#include <deque>

#include <gtest/gtest.h>

namespace wharf::agent {
namespace {
namespace json = boost::json;
using std::chrono::seconds;

json::object Obj(const char* text) { return json::parse(text).as_object(); }

TEST(ParseHealthCheck, DefaultsAndCmdShell) {
  auto c = ParseHealthCheck(Obj(R"({"command":["CMD-SHELL","curl -f http://localhost/ || exit 1"]})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->has_value());
  const HealthCheckConfig& hc = **c;
  EXPECT_EQ(hc.argv, (std::vector<std::string>{"/bin/sh", "-c", "curl -f http://localhost/ || exit 1"}));
  EXPECT_EQ(hc.interval, seconds(30));
  EXPECT_EQ(hc.timeout, seconds(5));
  EXPECT_EQ(hc.retries, 3);
  EXPECT_EQ(hc.start_period, seconds(0));
}

TEST(ParseHealthCheck, CmdAndExplicitValues) {
  auto c = ParseHealthCheck(
      Obj(R"({"command":["CMD","/bin/check","--fast"],"interval":5,"timeout":60,"retries":10,"startPeriod":300})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)->argv, (std::vector<std::string>{"/bin/check", "--fast"}));
  EXPECT_EQ((*c)->interval, seconds(5));
  EXPECT_EQ((*c)->timeout, seconds(60));
  EXPECT_EQ((*c)->retries, 10);
  EXPECT_EQ((*c)->start_period, seconds(300));
}

TEST(ParseHealthCheck, NoneDisables) {
  auto c = ParseHealthCheck(Obj(R"({"command":["NONE"]})"));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
}

TEST(ParseHealthCheck, RejectsBadValues) {
  const char* bad[] = {
      R"({})",
      R"({"command":[]})",
      R"({"command":["CMD"]})",
      R"({"command":["CMD-SHELL"]})",
      R"({"command":["true"]})",
      R"({"command":["CMD",1]})",
      R"({"command":["CMD","true"],"interval":4})",
      R"({"command":["CMD","true"],"interval":301})",
      R"({"command":["CMD","true"],"timeout":1})",
      R"({"command":["CMD","true"],"timeout":61})",
      R"({"command":["CMD","true"],"retries":0})",
      R"({"command":["CMD","true"],"retries":11})",
      R"({"command":["CMD","true"],"startPeriod":-1})",
      R"({"command":["CMD","true"],"startPeriod":301})",
      R"({"command":["CMD","true"],"interval":"30"})",
  };
  for (const char* text : bad) {
    auto c = ParseHealthCheck(Obj(text));
    EXPECT_TRUE(c.status().IsInvalidArgument()) << text;
  }
  auto c = ParseHealthCheck(Obj(R"({"command":["CMD","true"],"interval":4})"));
  EXPECT_EQ(c.status().message(), "healthCheck interval must be between 5 and 300 seconds, got 4");
}

// A container whose probes answer from a script; each probe takes `probe_time`.
struct FakeContainer {
  ManualClock clock{std::chrono::system_clock::time_point(seconds(1'700'000'000))};
  std::deque<Result<ProbeResult>> answers;
  std::vector<std::chrono::system_clock::time_point> probe_times;
  std::vector<std::string> last_argv;
  std::chrono::milliseconds last_timeout{0};
  seconds probe_time{0};

  ExecFn Exec() {
    return [this](const std::vector<std::string>& argv, std::chrono::milliseconds timeout) -> Result<ProbeResult> {
      probe_times.push_back(clock.Now());
      last_argv = argv;
      last_timeout = timeout;
      clock.Advance(probe_time);
      if (answers.empty()) return ProbeResult{0, "ok"};
      Result<ProbeResult> r = answers.front();
      answers.pop_front();
      return r;
    };
  }
  void Pass() { answers.push_back(ProbeResult{0, "ok"}); }
  void Fail() { answers.push_back(ProbeResult{1, "boom"}); }
  void TimeOut() { answers.push_back(Status::Unavailable("timed out")); }
};

HealthCheckConfig Config(int interval, int retries, int start_period = 0) {
  HealthCheckConfig c;
  c.argv = {"/bin/sh", "-c", "true"};
  c.interval = seconds(interval);
  c.retries = retries;
  c.start_period = seconds(start_period);
  return c;
}

TEST(HealthMonitor, FirstProbeRunsAfterInterval) {
  FakeContainer f;
  HealthMonitor m(Config(30, 3), f.Exec(), f.clock, f.clock.Now());
  EXPECT_EQ(m.status(), "UNKNOWN");
  f.clock.Advance(seconds(29));
  EXPECT_FALSE(m.Tick());
  EXPECT_TRUE(f.probe_times.empty());
  f.clock.Advance(seconds(1));
  EXPECT_TRUE(m.Tick());
  EXPECT_EQ(m.status(), "HEALTHY");
  EXPECT_EQ(f.last_argv, (std::vector<std::string>{"/bin/sh", "-c", "true"}));
  EXPECT_EQ(f.last_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(m.next_due(), f.clock.Now() + seconds(30));
}

TEST(HealthMonitor, NextProbeCountsFromEndOfPrevious) {
  FakeContainer f;
  f.probe_time = seconds(4);
  auto t0 = f.clock.Now();
  HealthMonitor m(Config(10, 3), f.Exec(), f.clock, t0);
  f.clock.Advance(seconds(10));
  m.Tick();  // runs 10..14
  EXPECT_EQ(m.next_due(), t0 + seconds(24));
}

TEST(HealthMonitor, RetriesConsecutiveFailuresMakeUnhealthy) {
  FakeContainer f;
  HealthMonitor m(Config(5, 3), f.Exec(), f.clock, f.clock.Now());
  f.Fail();
  f.Fail();
  f.Pass();  // resets the streak
  f.Fail();
  f.Fail();
  f.Fail();
  std::vector<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    f.clock.Advance(seconds(5));
    m.Tick();
    seen.push_back(m.status());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"UNKNOWN", "UNKNOWN", "HEALTHY", "HEALTHY", "HEALTHY", "UNHEALTHY"}));
  EXPECT_EQ(m.report().exit_code, 1);
  EXPECT_EQ(m.report().output, "boom");
  // One success brings it back.
  f.Pass();
  f.clock.Advance(seconds(5));
  EXPECT_TRUE(m.Tick());
  EXPECT_EQ(m.status(), "HEALTHY");
  EXPECT_EQ(m.failing_streak(), 0);
}

TEST(HealthMonitor, RetriesOneMeansFirstFailureIsUnhealthy) {
  FakeContainer f;
  HealthMonitor m(Config(5, 1), f.Exec(), f.clock, f.clock.Now());
  f.Fail();
  f.clock.Advance(seconds(5));
  EXPECT_TRUE(m.Tick());
  EXPECT_EQ(m.status(), "UNHEALTHY");
  EXPECT_EQ(m.report().since, f.clock.Now());
}

TEST(HealthMonitor, TimeoutCountsAsFailure) {
  FakeContainer f;
  HealthCheckConfig c = Config(5, 2);
  HealthMonitor m(c, f.Exec(), f.clock, f.clock.Now());
  f.TimeOut();
  f.answers.push_back(Status::Internal("exec failed"));
  f.clock.Advance(seconds(5));
  m.Tick();
  EXPECT_EQ(m.report().exit_code, -1);
  EXPECT_EQ(m.report().output, "Health check exceeded timeout (5s)");
  f.clock.Advance(seconds(5));
  m.Tick();
  EXPECT_EQ(m.status(), "UNHEALTHY");
  EXPECT_EQ(m.report().output, "exec failed");
}

TEST(HealthMonitor, StartPeriodForgivesFailuresUntilItEnds) {
  FakeContainer f;
  HealthMonitor m(Config(10, 2, 35), f.Exec(), f.clock, f.clock.Now());
  for (int i = 0; i < 5; ++i) f.Fail();
  // Probes at 10, 20, 30 are inside the start period; 40 and 50 are not.
  for (int i = 0; i < 3; ++i) {
    f.clock.Advance(seconds(10));
    m.Tick();
    EXPECT_EQ(m.failing_streak(), 0);
    EXPECT_EQ(m.status(), "UNKNOWN");
  }
  f.clock.Advance(seconds(10));
  m.Tick();
  EXPECT_EQ(m.failing_streak(), 1);
  EXPECT_EQ(m.status(), "UNKNOWN");
  f.clock.Advance(seconds(10));
  m.Tick();
  EXPECT_EQ(m.status(), "UNHEALTHY");
}

TEST(HealthMonitor, SuccessDuringStartPeriodEndsIt) {
  FakeContainer f;
  HealthMonitor m(Config(10, 1, 300), f.Exec(), f.clock, f.clock.Now());
  f.Fail();
  f.Pass();
  f.Fail();
  f.clock.Advance(seconds(10));
  m.Tick();
  EXPECT_EQ(m.status(), "UNKNOWN");  // forgiven
  f.clock.Advance(seconds(10));
  m.Tick();
  EXPECT_EQ(m.status(), "HEALTHY");
  f.clock.Advance(seconds(10));  // still within 300 s, but the container was healthy once
  m.Tick();
  EXPECT_EQ(m.status(), "UNHEALTHY");
}

TEST(HealthMonitor, LongOutputIsTruncatedLikeDocker) {
  FakeContainer f;
  HealthMonitor m(Config(5, 3), f.Exec(), f.clock, f.clock.Now());
  f.answers.push_back(ProbeResult{0, std::string(5000, 'x')});
  f.clock.Advance(seconds(5));
  m.Tick();
  EXPECT_EQ(m.report().output.size(), 4096u + 3);
  EXPECT_EQ(m.report().output.substr(4096), "...");
}

using C = std::pair<bool, std::optional<std::string>>;

TEST(TaskHealth, DocumentedExamples) {
  // Two essential containers, both with checks.
  EXPECT_EQ(TaskHealth({C{true, "UNHEALTHY"}, C{true, "UNKNOWN"}}), "UNHEALTHY");
  EXPECT_EQ(TaskHealth({C{true, "UNHEALTHY"}, C{true, "HEALTHY"}}), "UNHEALTHY");
  EXPECT_EQ(TaskHealth({C{true, "HEALTHY"}, C{true, "UNKNOWN"}}), "UNKNOWN");
  EXPECT_EQ(TaskHealth({C{true, "HEALTHY"}, C{true, "HEALTHY"}}), "HEALTHY");
  EXPECT_EQ(TaskHealth({C{true, "UNHEALTHY"}, C{true, "UNKNOWN"}, C{true, "HEALTHY"}}), "UNHEALTHY");
  EXPECT_EQ(TaskHealth({C{true, "HEALTHY"}, C{true, "UNKNOWN"}, C{true, "HEALTHY"}}), "UNKNOWN");
  EXPECT_EQ(TaskHealth({C{true, "HEALTHY"}, C{true, "HEALTHY"}, C{true, "HEALTHY"}}), "HEALTHY");
}

TEST(TaskHealth, ContainersWithoutChecksAndNonEssentials) {
  EXPECT_EQ(TaskHealth({}), "UNKNOWN");
  EXPECT_EQ(TaskHealth({C{true, std::nullopt}}), "UNKNOWN");
  // An essential container without a check does not hold the task back.
  EXPECT_EQ(TaskHealth({C{true, "HEALTHY"}, C{true, std::nullopt}}), "HEALTHY");
  // Non-essential containers do not count while an essential one has a check...
  EXPECT_EQ(TaskHealth({C{true, "HEALTHY"}, C{false, "UNHEALTHY"}}), "HEALTHY");
  // ...and decide when none has.
  EXPECT_EQ(TaskHealth({C{true, std::nullopt}, C{false, "UNHEALTHY"}}), "UNHEALTHY");
  EXPECT_EQ(TaskHealth({C{true, std::nullopt}, C{false, "HEALTHY"}}), "HEALTHY");
}

}  // namespace
}  // namespace wharf::agent
