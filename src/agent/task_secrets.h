// What a task's execution role fetches before its containers are pulled and started, as the
// ECS agent does: the containers' `secrets` (environment variables),
// `logConfiguration.secretOptions` (log driver options) and `repositoryCredentials` (a Secrets
// Manager secret whose JSON has "username" and "password", for a private registry).
//
// The values come from wharf's own Secrets Manager (GetSecretValue) and Parameter Store
// (GetParameters WithDecryption, up to ten names a call per region), called over the API
// with the execution role's credentials, so IAM decides what the role may read. They are
// kept in memory only: never in the task's state file.
//
// Errors: the first failure, as the task's stoppedReason in ECS's words
// ("ResourceInitializationError: unable to pull secrets or registry auth: ...").
//
// Thread-safety: FetchTaskSecrets is reentrant; ExecutionRoleClient's Call may be used from
// several threads (ServerClient serialises its calls).
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/image/registry_client.h"
#include "agent/execution_role_sessions.h"
#include "agent/server_client.h"
#include "base/status.h"

namespace wharf::agent {

// An AWS JSON 1.1 call signed with a task's execution role credentials (the I/O seam: the
// server in the agent, a fake in tests). An AWS error is a Status whose message starts with
// its code ("AccessDeniedException: User: ...").
class ExecutionRoleCalls {
 public:
  virtual ~ExecutionRoleCalls() = default;
  virtual Result<boost::json::object> Call(const std::string& task_arn, std::string_view service,
                                           std::string_view target, const boost::json::object& input,
                                           std::string_view region) = 0;
};

// Through the server: the role's credentials from its credentials route, then the call.
class ExecutionRoleClient final : public ExecutionRoleCalls {
 public:
  ExecutionRoleClient(ServerClient& server, ExecutionRoleSessions& sessions) : server_(server), sessions_(sessions) {}
  Result<boost::json::object> Call(const std::string& task_arn, std::string_view service, std::string_view target,
                                   const boost::json::object& input, std::string_view region) override;

 private:
  ServerClient& server_;
  ExecutionRoleSessions& sessions_;
};

// ExecutionRoleClient over a connection of its own (a task's network: pull_path.h).
class OwnedExecutionRoleClient final : public ExecutionRoleCalls {
 public:
  OwnedExecutionRoleClient(ServerAddress address, ExecutionRoleSessions& sessions)
      : server_(std::move(address)), client_(server_, sessions) {}
  Result<boost::json::object> Call(const std::string& task_arn, std::string_view service, std::string_view target,
                                   const boost::json::object& input, std::string_view region) override {
    return client_.Call(task_arn, service, target, input, region);
  }

 private:
  ServerClient server_;
  ExecutionRoleClient client_;
};

struct ContainerSecrets {
  std::vector<std::string> environment;            // "NAME=value", one per `secrets` entry
  std::map<std::string, std::string> log_options;  // from logConfiguration.secretOptions
  std::optional<RegistryCredentials> registry;     // from repositoryCredentials
};

// Whether a container definition names anything FetchTaskSecrets fetches.
bool NeedsExecutionResources(const boost::json::object& container);

// What each container needs, by container name (containers that need nothing are absent).
// `containers` are the definitions after overrides; `region` is the task's, for parameter names.
Result<std::map<std::string, ContainerSecrets>> FetchTaskSecrets(const std::vector<boost::json::object>& containers,
                                                                 const std::string& task_arn,
                                                                 const std::string& region, ExecutionRoleCalls& calls);

// Only the log driver options of one container's secretOptions (an adopted task whose awslogs
// shipping resumes after an agent restart). Errors as FetchTaskSecrets.
Result<std::map<std::string, std::string>> FetchLogSecretOptions(const boost::json::object& container,
                                                                 const std::string& task_arn,
                                                                 const std::string& region, ExecutionRoleCalls& calls);

}  // namespace wharf::agent
