#include "controlplane/controllers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace wharf::controlplane {
namespace {

using namespace std::chrono_literals;

class SwitchableLeadership final : public store::Leadership {
 public:
  bool IsLeader() const override { return leader.load(); }
  std::atomic<bool> leader{true};
};

TEST(ControllersTest, JobsRunOnlyOnTheLeader) {
  SwitchableLeadership leadership;
  leadership.leader = false;
  std::atomic<int> runs{0};
  auto c = Controllers::Start(leadership, {{"count", 10ms, 10ms, [&]() -> Result<bool> {
                                              ++runs;
                                              return false;
                                            }}});
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(runs.load(), 0);
  leadership.leader = true;
  std::this_thread::sleep_for(100ms);
  EXPECT_GE(runs.load(), 3);
}

// A job that says it has more to do runs at its busy interval, else at its interval.
TEST(ControllersTest, ABusyJobRunsAtItsBusyInterval) {
  SwitchableLeadership leadership;
  std::atomic<int> busy_runs{0}, idle_runs{0};
  auto c = Controllers::Start(leadership, {{"busy", 1000ms, 10ms, [&]() -> Result<bool> {
                                              ++busy_runs;
                                              return true;
                                            }},
                                           {"idle", 1000ms, 10ms, [&]() -> Result<bool> {
                                              ++idle_runs;
                                              return false;
                                            }}});
  std::this_thread::sleep_for(1500ms);
  EXPECT_GE(busy_runs.load(), 20);  // the first after a second, then every 10 ms
  EXPECT_EQ(idle_runs.load(), 1);
}

// A failing run is logged, and the job runs again at its next time.
TEST(ControllersTest, AFailedRunDoesNotStopTheJob) {
  SwitchableLeadership leadership;
  std::atomic<int> runs{0};
  auto c = Controllers::Start(leadership, {{"failing", 10ms, 10ms, [&]() -> Result<bool> {
                                              ++runs;
                                              return Status::Unavailable("store down");
                                            }}});
  std::this_thread::sleep_for(100ms);
  EXPECT_GE(runs.load(), 3);
}

TEST(ControllersTest, WakeRunsEveryJobAtOnce) {
  SwitchableLeadership leadership;
  std::atomic<int> runs{0};
  auto c = Controllers::Start(leadership, {{"slow", std::chrono::hours(1), std::chrono::hours(1), [&]() -> Result<bool> {
                                              ++runs;
                                              return false;
                                            }}});
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runs.load(), 0);
  c->Wake();
  for (int i = 0; i < 100 && runs.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(runs.load(), 1);
}

}  // namespace
}  // namespace wharf::controlplane
