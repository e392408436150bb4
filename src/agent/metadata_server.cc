#include "agent/metadata_server.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "base/logging.h"

namespace wharf::agent {
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// The ECS agent answers errors with a JSON string.
MetadataAnswer Error(int status, const std::string& message) {
  return {status, json::serialize(json::value(message))};
}

MetadataAnswer FromResult(const Result<json::object>& r, const std::string& not_found, const std::string& token) {
  if (r.ok()) return {200, json::serialize(*r)};
  if (r.status().IsNotFound()) return Error(404, not_found + token);
  return Error(500, r.status().message());
}

}  // namespace

MetadataAnswer AnswerMetadataRequest(MetadataSource& source, std::string_view target,
                                     const std::string& source_address, std::string_view method,
                                     std::string_view body) {
  target = target.substr(0, target.find('?'));
  // $ECS_AGENT_URI/task-protection/v1/state, ECS_AGENT_URI being /api/<token>.
  constexpr std::string_view kAgentApi = "/api/", kProtection = "/task-protection/v1/state";
  if (target.starts_with(kAgentApi) && target.ends_with(kProtection) &&
      target.size() > kAgentApi.size() + kProtection.size()) {
    std::string token(target.substr(kAgentApi.size(), target.size() - kAgentApi.size() - kProtection.size()));
    if (method != "GET" && method != "PUT") return {405, "405 method not allowed\n"};
    try {
      return source.TaskProtection(token, method, body);
    } catch (const std::exception& e) {
      return Error(500, e.what());
    }
  }
  constexpr std::string_view kCredentials = "/v2/credentials/";
  if (target.substr(0, kCredentials.size()) == kCredentials) {
    std::string id(target.substr(kCredentials.size()));
    try {
      auto credentials = source.RoleCredentials(id, source_address);
      if (credentials.ok()) return {200, json::serialize(*credentials)};
      if (credentials.status().IsNotFound()) {
        return {400, json::serialize(json::object{{"code", "InvalidIdInRequest"},
                                                  {"message", "CredentialsV2Request: Credentials not found"},
                                                  {"HTTPErrorCode", 400}})};
      }
      return {500, json::serialize(json::object{{"code", "InternalError"},
                                                {"message", credentials.status().message()},
                                                {"HTTPErrorCode", 500}})};
    } catch (const std::exception& e) {
      return Error(500, e.what());
    }
  }
  constexpr std::string_view kPrefix = "/v4/";
  if (target.substr(0, kPrefix.size()) != kPrefix) return {404, "404 page not found\n"};
  std::string_view rest = target.substr(kPrefix.size());
  size_t slash = rest.find('/');
  std::string token(rest.substr(0, slash));
  std::string_view route = slash == std::string_view::npos ? "" : rest.substr(slash);

  const std::string task_missing = "unable to get task arn from request: unable to get task Arn from v3 endpoint ID: ";
  const std::string container_missing =
      "unable to get container ID from request: unable to get docker ID from v3 endpoint ID: ";
  try {
    if (route.empty() || route == "/") {
      return FromResult(source.Container(token), "V4 container metadata handler: " + container_missing, token);
    }
    if (route == "/task" || route == "/taskWithTags") {
      return FromResult(source.Task(token), "V4 task metadata handler: " + task_missing, token);
    }
    if (route == "/stats") {
      return FromResult(source.Stats(token, false), "V4 container stats handler: " + container_missing, token);
    }
    if (route == "/task/stats") {
      return FromResult(source.Stats(token, true), "V4 task stats handler: " + task_missing, token);
    }
  } catch (const std::exception& e) {  // a JSON or allocation failure in the source
    return Error(500, e.what());
  }
  return {404, "404 page not found\n"};
}

Result<std::unique_ptr<MetadataServer>> MetadataServer::Start(MetadataSource& source) {
  std::unique_ptr<MetadataServer> server(new MetadataServer(source));
  RETURN_IF_ERROR(server->Listen("127.0.0.1", 0));
  return server;
}

MetadataServer::~MetadataServer() { Stop(); }

Status MetadataServer::Listen(const std::string& address, uint16_t port) {
  MutexLock lock(mu_);
  if (listeners_.count(address)) return Status::OK();
  net::HttpServerOptions options;
  auto percent = address.find('%');
  options.host = address.substr(0, percent);
  if (percent != std::string::npos) options.bind_device = address.substr(percent + 1);
  options.port = port;
  // One port on every bridge, the loopback listener's, when it is free there: the node's
  // egress table (network/egress.h) lets tasks without a way out reach that port only.
  if (auto lo = listeners_.find("127.0.0.1"); port == 0 && lo != listeners_.end()) options.port = lo->second->port();
  options.threads = 1;
  options.body_limit = 64 * 1024;  // GETs, and the small JSON of a task protection PUT
  MetadataSource& source = source_;
  auto handler = [&source](net::Incoming&& in, net::Responder respond) {
    MetadataAnswer answer = AnswerMetadataRequest(source, in.message.target(), in.remote_address,
                                                  in.message.method_string(), in.message.body());
    net::Response res{static_cast<http::status>(answer.status), in.message.version()};
    bool is_json = !answer.body.empty() && (answer.body[0] == '{' || answer.body[0] == '"');
    res.set(http::field::content_type, is_json ? "application/json" : "text/plain; charset=utf-8");
    res.keep_alive(in.message.keep_alive());
    res.body() = std::move(answer.body);
    res.prepare_payload();
    respond(std::move(res));
  };
  auto server = net::HttpServer::Start(options, handler);
  if (!server.ok() && options.port != port) {
    options.port = port;
    server = net::HttpServer::Start(options, handler);
  }
  if (!server.ok()) return server.status().WithContext("task metadata endpoint on " + address);
  LOG_INFO("task metadata endpoint listening on {}:{}", address, (*server)->port());
  listeners_[address] = std::move(server).value();
  return Status::OK();
}

void MetadataServer::Unlisten(const std::string& address) {
  std::unique_ptr<net::HttpServer> server;
  {
    MutexLock lock(mu_);
    auto it = listeners_.find(address);
    if (it == listeners_.end()) return;
    server = std::move(it->second);
    listeners_.erase(it);
  }
  server->Stop();  // outside the lock: it joins the loop thread
}

std::string MetadataServer::BaseUrl(const std::string& address) const {
  MutexLock lock(mu_);
  auto it = listeners_.find(address);
  if (it == listeners_.end()) return "";
  return "http://" + address.substr(0, address.find('%')) + ":" + std::to_string(it->second->port()) + "/v4/";
}

std::string ListenAddress(const std::string& ip, const std::string& device) {
  return device.empty() ? ip : ip + "%" + device;
}

uint16_t MetadataServer::Port(const std::string& address) const {
  MutexLock lock(mu_);
  auto it = listeners_.find(address);
  return it == listeners_.end() ? 0 : it->second->port();
}

void MetadataServer::Stop() {
  std::map<std::string, std::unique_ptr<net::HttpServer>> listeners;
  {
    MutexLock lock(mu_);
    listeners.swap(listeners_);
  }
  for (auto& [address, server] : listeners) server->Stop();
}

}  // namespace wharf::agent
