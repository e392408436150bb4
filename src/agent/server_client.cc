#include "agent/server_client.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "base/percent.h"
#include "model/json.h"
#include "sigv4/sigv4.h"

namespace wharf::agent {
namespace json = boost::json;

Result<ServerAddress> ParseServerUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("--server wants http://HOST:PORT, not " + std::string(url));
  }
  std::string_view rest = url.substr(kScheme.size());
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  ServerAddress a;
  if (!net::SplitHostPort(rest, &a.host, &a.port)) {
    a.host = std::string(rest);
    a.port = "80";
  }
  return a;
}

namespace {

net::HttpClientOptions CallOptions(const ServerAddress& address) {
  net::HttpClientOptions options;
  options.netns_path = address.netns_path;
  options.connect_timeout = address.connect_timeout;
  return options;
}

}  // namespace

ServerClient::ServerClient(ServerAddress address)
    : address_(std::move(address)),
      calls_(std::make_unique<net::HttpClient>(address_.host, address_.port, CallOptions(address_))),
      poll_(std::make_unique<net::HttpClient>(
          address_.host, address_.port,
          net::HttpClientOptions{std::chrono::milliseconds(3000), std::chrono::milliseconds(45000)})) {}

Result<net::HttpResponse> ServerClient::Send(net::HttpClient& client, net::HttpRequest request,
                                             std::string_view service, std::string_view region,
                                             const SessionCredentials* as) {
  request.headers.emplace_back("host", address_.host + ":" + address_.port);
  if (as) request.headers.emplace_back("x-amz-security-token", as->session_token);  // signed with the rest
  sigv4::SignRequest(request.headers, request.method, request.target, request.body,
                   as ? as->access_key_id : address_.access_key_id,
                   as ? as->secret_access_key : address_.secret_access_key,
                   region.empty() ? address_.region : std::string(region),
                   std::string(service),
                   std::chrono::system_clock::now());
  return client.Send(request);
}

Result<json::object> ServerClient::Call(std::string_view service, std::string_view target,
                                        const json::object& input, std::string_view region,
                                        const SessionCredentials* as) {
  net::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  req.headers = {{"content-type", "application/x-amz-json-1.1"}, {"x-amz-target", std::string(target)}};
  req.body = json::serialize(input);
  net::HttpResponse res;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(res, Send(*calls_, std::move(req), service, region, as));
  }
  boost::system::error_code ec;
  json::value body = json::parse(res.body, ec);
  if (ec || !body.is_object()) {
    return Status::Unavailable("server answered " + std::to_string(res.status) + " without JSON");
  }
  if (res.status != 200) {
    const json::object& err = body.get_object();
    std::string type = err.contains("__type") && err.at("__type").is_string() ? std::string(err.at("__type").get_string()) : "";
    std::string message = err.contains("message") && err.at("message").is_string() ? std::string(err.at("message").get_string()) : "";
    std::string text = type + ": " + message;
    // A throttled call (the server's queue was full, or it is shutting down) is worth
    // repeating, as a 5xx is; any other 4xx is the report's own fault.
    bool retry = res.status >= 500 || type == "ThrottlingException";
    return retry ? Status::Unavailable(text) : Status::InvalidArgument(text);
  }
  return std::move(body.get_object());
}

Result<json::object> ServerClient::PostAgent(const std::string& path, const json::object& body) {
  net::HttpRequest req;
  req.method = "POST";
  req.target = path;
  req.headers = {{"content-type", "application/json"}};
  req.body = json::serialize(body);
  net::HttpResponse res;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(res, Send(*calls_, std::move(req), "ecs"));
  }
  boost::system::error_code ec;
  json::value answer = json::parse(res.body, ec);
  if (res.status != 200 || ec || !answer.is_object()) {
    return Status::Unavailable(path + " answered " + std::to_string(res.status) + ": " + res.body);
  }
  return std::move(answer.get_object());
}

Result<json::object> ServerClient::TaskRoleCredentials(const std::string& task_arn, std::string_view role) {
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/_wharf/agent/v1/credentials?task=" + PercentEncode(task_arn, false) + "&role=" + std::string(role);
  net::HttpResponse res;
  {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(res, Send(*calls_, std::move(req), "ecs"));
  }
  boost::system::error_code ec;
  json::value answer = json::parse(res.body, ec);
  std::string message = !ec && answer.is_object() ? GetString(answer.get_object(), "message") : res.body;
  if (res.status == 404) return Status::NotFound(message);
  if (res.status == 403) return Status::FailedPrecondition(message);
  if (res.status != 200 || ec || !answer.is_object()) {
    return Status::Unavailable("credentials answered " + std::to_string(res.status) + ": " + message);
  }
  return std::move(answer.get_object());
}

Status ServerClient::SubmitTaskStateChange(const json::object& change) {
  return Ecs("SubmitTaskStateChange", change).status();
}

Status ServerClient::SubmitTaskHealth(const json::object& report) {
  return PostAgent("/_wharf/agent/v1/health", report).status();
}

Status ServerClient::SubmitTaskUsage(const json::object& report) {
  return PostAgent("/_wharf/agent/v1/usage", report).status();
}

Result<model::TaskAssignments> ServerClient::PollTasks(const std::string& node, int64_t after, int wait_seconds) {
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/_wharf/agent/v2/tasks?after=" + std::to_string(after) + "&node=" + node +
               "&wait=" + std::to_string(wait_seconds);
  ASSIGN_OR_RETURN(net::HttpResponse res, Send(*poll_, std::move(req), "ecs"));
  boost::system::error_code ec;
  json::value body = json::parse(res.body, ec);
  if (res.status != 200 || ec || !body.is_object()) {
    return Status::Unavailable("task poll answered " + std::to_string(res.status) + ": " + res.body);
  }
  return model::TaskAssignments::FromJson(body.get_object());
}

void ServerClient::Cancel() { poll_->Cancel(); }

}  // namespace wharf::agent
