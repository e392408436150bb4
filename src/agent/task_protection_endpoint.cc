// The ECS agent's task scale-in protection endpoint ($ECS_AGENT_URI/task-protection/v1/state),
// as the Amazon ECS Developer Guide ("Task scale-in protection endpoint") documents it:
//   PUT {"ProtectionEnabled": true, "ExpiresInMinutes": 60} -> UpdateTaskProtection
//   GET                                                      -> GetTaskProtection
// on the caller's own task (the token names the container, so a container reaches no other
// task), signed with the task role's credentials as the ECS agent signs them: what the role
// may not do answers the ECS error, {"error": {"Arn", "Code", "Message"}}. Answers:
//   {"protection": {"ExpirationDate": "2022-10-06T02:29:16Z" | null, "ProtectionEnabled", "TaskArn"}}
//   {"failure": {"Arn", "Detail", "Reason"}}            (ECS's failure, e.g. TASK_NOT_VALID)
// The state is the server's, the one UpdateTaskProtection and GetTaskProtection share.
#include <boost/json/serialize.hpp>

#include "agent/metadata_directory.h"
#include "agent/task_protection_request.h"
#include "base/clock.h"
#include "model/json.h"

namespace wharf::agent {
namespace json = boost::json;

namespace {

MetadataAnswer JsonAnswer(int status, const json::object& body) { return {status, json::serialize(body)}; }

MetadataAnswer ErrorAnswer(int status, const std::string& task_arn, std::string_view code, std::string_view message) {
  return JsonAnswer(status, {{"error", json::object{{"Arn", task_arn}, {"Code", code}, {"Message", message}}}});
}

// ECS's answer in the endpoint's form: its first failure, else its protected task.
MetadataAnswer FromEcs(const json::object& out, const std::string& task_arn) {
  const json::array& failures = GetArray(out, "failures");
  if (!failures.empty() && failures[0].is_object()) {
    const json::object& f = failures[0].as_object();
    json::value detail = f.contains("detail") ? f.at("detail") : json::value(nullptr);
    return JsonAnswer(200, {{"failure", json::object{{"Arn", GetString(f, "arn", task_arn)},
                                                     {"Detail", detail},
                                                     {"Reason", GetString(f, "reason")}}}});
  }
  const json::array& tasks = GetArray(out, "protectedTasks");
  if (tasks.empty() || !tasks[0].is_object()) {
    return ErrorAnswer(500, task_arn, "ServerException", "ECS answered no protected task and no failure");
  }
  const json::object& t = tasks[0].as_object();
  bool enabled = GetBool(t, "protectionEnabled").value_or(false);
  json::value expiration = nullptr;
  const json::value* at = t.if_contains("expirationDate");
  if (enabled && at && at->is_number()) {
    auto point = std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::duration<double>(at->to_number<double>())));
    expiration = json::string(Iso8601(point).substr(0, 19) + "Z");  // the agent's form: no fraction
  }
  return JsonAnswer(200, {{"protection", json::object{{"ExpirationDate", expiration},
                                                      {"ProtectionEnabled", enabled},
                                                      {"TaskArn", GetString(t, "taskArn", task_arn)}}}});
}

}  // namespace

MetadataAnswer MetadataDirectory::TaskProtection(const std::string& token, std::string_view method,
                                                 std::string_view body) {
  auto entry = Find(token);
  if (!entry.ok()) {
    return {404, json::serialize(json::value("TaskProtection handler: unable to get task arn from request: " + token))};
  }
  json::object task = entry->task->Task();
  std::string task_arn = GetString(task, "TaskARN");
  json::object input{{"cluster", GetString(task, "Cluster")}, {"tasks", json::array{json::value(task_arn)}}};
  std::string_view operation = "GetTaskProtection";
  if (method == "PUT") {
    auto members = TaskProtectionInput(body);
    if (!members.ok()) return ErrorAnswer(400, task_arn, "InvalidRequest", members.status().message());
    for (auto& [k, v] : *members) input[k] = v;
    operation = "UpdateTaskProtection";
  }
  // The ECS agent calls ECS as the task (its role), never as the node.
  auto id = CredentialsIdOf(task_arn);
  if (!id.ok()) {
    return ErrorAnswer(403, task_arn, "AccessDeniedException",
                       "Invalid Request: no task IAM role credentials available for task");
  }
  auto credentials = FreshCredentials(*id);
  if (!credentials.ok() || !call_ecs_) {
    return ErrorAnswer(500, task_arn, "ServerException",
                       credentials.ok() ? "this node cannot call ECS" : credentials.status().message());
  }
  auto out = call_ecs_(*credentials, operation, input);
  if (!out.ok()) {
    // "<Code>: <message>" from the server client; a 4xx is the request's fault.
    std::string text = out.status().message();
    size_t colon = text.find(": ");
    std::string code = colon == std::string::npos ? "ServerException" : text.substr(0, colon);
    std::string message = colon == std::string::npos ? text : text.substr(colon + 2);
    if (code.empty()) code = "ServerException";
    if (out.status().IsUnavailable() && code != "ThrottlingException") {
      return ErrorAnswer(500, task_arn, "RequestCanceled", "Timed out calling Amazon ECS Task Protection API");
    }
    return ErrorAnswer(out.status().IsInvalidArgument() ? 400 : 500, task_arn, code, message);
  }
  return FromEcs(*out, task_arn);
}

}  // namespace wharf::agent
