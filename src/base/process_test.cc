#include "base/process.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

namespace wharf {
namespace {

int NiceOfThisThread() { return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())); }

TEST(ProcessRunnerTest, RunsAndCollectsOutput) {
  ProcessRunner runner;
  auto r = runner.Run({{"sh", "-c", "cat; echo err >&2; exit 3"}, std::nullopt, "in"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "in");
  EXPECT_EQ(r->err, "err\n");
}

// A niced helper starts niced (field 19 of /proc/self/stat is its nice value) and the caller's
// thread keeps its own value.
TEST(ProcessRunnerTest, NiceAppliesToTheChildOnly) {
  if (geteuid() != 0) GTEST_SKIP() << "restoring the caller's nice value needs root";
  const int before = NiceOfThisThread();
  ProcessRunner runner;
  Command command{{"sh", "-c", "cut -d' ' -f19 /proc/self/stat"}, std::nullopt, ""};
  command.nice = 5;
  auto r = runner.Run(command);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::stoi(r->out), std::min(before + 5, 19));
  EXPECT_EQ(NiceOfThisThread(), before);
  auto plain = runner.Run({{"sh", "-c", "cut -d' ' -f19 /proc/self/stat"}, std::nullopt, ""});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(std::stoi(plain->out), before);
}

}  // namespace
}  // namespace wharf
