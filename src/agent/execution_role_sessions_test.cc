#include "agent/execution_role_sessions.h"

#include <gtest/gtest.h>

#include "base/clock.h"

namespace wharf::agent {
namespace {

using namespace std::chrono_literals;

TEST(ParseCredentialsExpiration, TheServersForm) {
  auto t = ParseCredentialsExpiration("2026-01-01T06:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*t), 1767247200);
  EXPECT_FALSE(ParseCredentialsExpiration("2026-01-01 06:00:00"));
  EXPECT_FALSE(ParseCredentialsExpiration(""));
}

// One AssumeRole per task, not one per pull, secret or log batch: a session is kept until
// less than kCredentialsRefresh of it is left.
TEST(ExecutionRoleSessions, OneFetchPerTaskUntilNearExpiry) {
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)));  // 00:00
  std::vector<std::string> asked;
  ExecutionRoleSessions sessions(clock, [&](const std::string& task_arn) -> Result<boost::json::object> {
    asked.push_back(task_arn);
    if (task_arn == "none") return Status::NotFound("no execution role");
    return boost::json::object{{"AccessKeyId", "ASIA" + std::to_string(asked.size())},
                               {"SecretAccessKey", "s"},
                               {"Token", "t"},
                               {"Expiration", "2026-01-01T06:00:00Z"}};
  });
  for (int i = 0; i < 5; ++i) {
    auto got = sessions.Get("task-a");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->access_key_id, "ASIA1");
  }
  EXPECT_EQ(sessions.Get("task-b")->access_key_id, "ASIA2");
  EXPECT_TRUE(sessions.Get("none").status().IsNotFound());
  EXPECT_EQ(asked.size(), 3u);

  clock.Advance(5h + 31min);  // 29 minutes left
  EXPECT_EQ(sessions.Get("task-a")->access_key_id, "ASIA4");
  EXPECT_EQ(sessions.fetches(), 4);
}

}  // namespace
}  // namespace wharf::agent
