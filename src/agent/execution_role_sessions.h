// ExecutionRoleSessions: the node's cache of its tasks' execution role credentials. The ECS
// agent gets a task's execution role credentials once and refreshes them before they expire;
// so does this: everything the node does as a task's execution role (its image pull's
// registry password, its secrets, FARGATE's awslogs streams and events) signs with one
// session per task, fetched from the server's credentials route (one AssumeRole) the first
// time and again only once less than kCredentialsRefresh of its life is left. A session is
// dropped once expired (tasks end without telling the cache).
//
// Thread-safety: every method may be called from any thread; a fetch runs outside the lock.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "agent/server_client.h"
#include "base/clock.h"
#include "base/mutex.h"

namespace wharf::agent {

// Credentials with less life than this left are fetched again (the ECS agent refreshes
// its tasks' credentials well before they expire too).
inline constexpr std::chrono::minutes kCredentialsRefresh{30};

// "2026-12-06T12:00:00Z", the Expiration of the credentials the server answers; nullopt when
// not in that form.
std::optional<std::chrono::system_clock::time_point> ParseCredentialsExpiration(const std::string& text);

class ExecutionRoleSessions {
 public:
  // The execution role's credentials of a task as the server answers them
  // (ServerClient::TaskRoleCredentials(task_arn, "execution")).
  using Fetch = std::function<Result<boost::json::object>(const std::string& task_arn)>;

  ExecutionRoleSessions(Clock& clock, Fetch fetch) : clock_(clock), fetch_(std::move(fetch)) {}

  // NotFound when the task has no execution role, FailedPrecondition when ECS may not assume
  // it (ECS's message), as the fetch answers.
  Result<SessionCredentials> Get(const std::string& task_arn) EXCLUDES(mu_);
  // How many times the server was asked (for tests).
  int fetches() const EXCLUDES(mu_);

 private:
  struct Session {
    SessionCredentials credentials;
    std::chrono::system_clock::time_point expiration;
  };

  // Constant after construction.
  Clock& clock_;
  const Fetch fetch_;

  // Protected by mu_.
  mutable Mutex mu_;
  std::map<std::string, Session> sessions_ GUARDED_BY(mu_);  // by task ARN
  int fetches_ GUARDED_BY(mu_) = 0;
};

}  // namespace wharf::agent
