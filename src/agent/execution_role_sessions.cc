#include "agent/execution_role_sessions.h"

#include <cstdio>
#include <ctime>

#include "model/json.h"

namespace wharf::agent {

std::optional<std::chrono::system_clock::time_point> ParseCredentialsExpiration(const std::string& text) {
  std::tm tm{};
  char z = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z') {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

Result<SessionCredentials> ExecutionRoleSessions::Get(const std::string& task_arn) {
  {
    MutexLock lock(mu_);
    auto it = sessions_.find(task_arn);
    if (it != sessions_.end() && it->second.expiration - clock_.Now() > kCredentialsRefresh) {
      return it->second.credentials;
    }
    ++fetches_;
    // A node running many tasks over weeks: sessions of tasks that ended without Forget
    // (an agent killed mid-task) expire and are swept here.
    for (auto s = sessions_.begin(); s != sessions_.end();) {
      s = s->second.expiration <= clock_.Now() ? sessions_.erase(s) : std::next(s);
    }
  }
  ASSIGN_OR_RETURN(boost::json::object answer, fetch_(task_arn));
  SessionCredentials credentials{GetString(answer, "AccessKeyId"), GetString(answer, "SecretAccessKey"),
                                 GetString(answer, "Token")};
  auto expiration = ParseCredentialsExpiration(GetString(answer, "Expiration"));
  if (!expiration) return Status::Internal("the server's credentials have no Expiration");
  MutexLock lock(mu_);
  sessions_[task_arn] = Session{credentials, *expiration};
  return credentials;
}

int ExecutionRoleSessions::fetches() const {
  MutexLock lock(mu_);
  return fetches_;
}

}  // namespace wharf::agent
