// ServerClient: how an agent talks to the wharf server. Every call is SigV4-signed with the
// agent's AWS keys, like any other client's (the in-process agent of `wharf server` uses the
// admin key, a remote one the key it was given).
//
// Thread-safety: Call may be used from several threads (calls are serialised on one
// keep-alive connection); PollTasks has a connection of its own, for one thread at a time.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "agent/task_reports.h"
#include "base/mutex.h"
#include "base/status.h"
#include "model/task_assignment.h"
#include "net/http_client.h"

namespace wharf::agent {

struct ServerAddress {
  std::string host;
  std::string port;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  // When set, the calls' connections are made in this network namespace (net/netns_socket.h).
  std::string netns_path{};
  std::chrono::milliseconds connect_timeout{3000};
};

// Temporary credentials a call may be signed with instead of the agent's keys (a task's
// execution role: its calls are the role's, X-Amz-Security-Token and all).
struct SessionCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// "http://host:port" -> host and port. InvalidArgument otherwise.
Result<ServerAddress> ParseServerUrl(std::string_view url);

class ServerClient final : public TaskReports {
 public:
  explicit ServerClient(ServerAddress address);

  const ServerAddress& address() const { return address_; }

  // An AWS JSON 1.1 call: `target` is "AmazonEC2ContainerServiceV20141113.RunTask" and the
  // like, `service` the signing name ("ecs", "ecr"). An AWS error answer is an error Status
  // whose message starts with its code ("ClientException: ...").
  // `region`: the one the call is signed for (empty: the agent's own); `as`: the credentials
  // it is signed with (null: the agent's).
  Result<boost::json::object> Call(std::string_view service, std::string_view target,
                                   const boost::json::object& input, std::string_view region = {},
                                   const SessionCredentials* as = nullptr);
  Result<boost::json::object> Ecs(std::string_view operation, const boost::json::object& input) {
    return Call("ecs", "AmazonEC2ContainerServiceV20141113." + std::string(operation), input);
  }

  // A wharf-only agent call: POST of a JSON body to `path` under /_wharf/agent/ (signed "ecs").
  Result<boost::json::object> PostAgent(const std::string& path, const boost::json::object& body);

  // The credentials of a task's role ("task" or "execution") as ECS's credentials endpoint
  // answers them (GET /_wharf/agent/v1/credentials). NotFound when the task has no such role,
  // FailedPrecondition (ECS's message) when ECS may not assume it, Unavailable otherwise.
  Result<boost::json::object> TaskRoleCredentials(const std::string& task_arn, std::string_view role);

  // TaskReports, through Ecs and PostAgent.
  Status SubmitTaskStateChange(const boost::json::object& change) override;
  Status SubmitTaskHealth(const boost::json::object& report) override;
  Status SubmitTaskUsage(const boost::json::object& report) override;

  // The assignment long poll (controlplane/assignment_board.h). Unavailable when the server
  // could not answer; InvalidArgument when its answer is not a well-formed assignment list.
  Result<model::TaskAssignments> PollTasks(const std::string& node, int64_t after, int wait_seconds);

  // Stops a poll in progress from another thread.
  void Cancel();

 private:
  Result<net::HttpResponse> Send(net::HttpClient& client, net::HttpRequest request, std::string_view service,
                                 std::string_view region = {}, const SessionCredentials* as = nullptr);

  // Constant after construction.
  const ServerAddress address_;

  // Protected by mu_: one call at a time on the calls' connection.
  Mutex mu_;
  const std::unique_ptr<net::HttpClient> calls_ PT_GUARDED_BY(mu_);

  // The long poll's own connection: PollTasks from the agent's loop, Cancel from any thread.
  const std::unique_ptr<net::HttpClient> poll_;
};

}  // namespace wharf::agent
