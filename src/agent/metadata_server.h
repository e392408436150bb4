// The node's ECS task metadata endpoint v4: what containers find at
// ${ECS_CONTAINER_METADATA_URI_V4} = http://<address>:<port>/v4/<token>.
//
// Routes, per container token (one token per container, unguessable, made by the runner):
//   GET /v4/<token>               the container's metadata
//   GET /v4/<token>/task          the task's metadata (also /taskWithTags)
//   GET /v4/<token>/stats         the container's Docker stats
//   GET /v4/<token>/task/stats    Docker stats of every container of the task, by DockerId
// and the task role's credentials, per task (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; the
// containers reach it as http://169.254.170.2/v2/credentials/<id>):
//   GET /v2/credentials/<id>      {"RoleArn","AccessKeyId","SecretAccessKey","Token","Expiration"}
//   an id the source does not give to the request's source address: 400 with the ECS agent's
//   {"code":"InvalidIdInRequest","message":"CredentialsV2Request: Credentials not found",...}
// and the ECS agent's task scale-in protection endpoint, per container token
// (${ECS_AGENT_URI} = http://<address>:<port>/api/<token>):
//   GET /api/<token>/task-protection/v1/state    {"protection": {...}} (or "failure", "error")
//   PUT /api/<token>/task-protection/v1/state    {"ProtectionEnabled": bool, "ExpiresInMinutes": n}
// A token the source does not know gets 404 with the ECS agent's message as a JSON string;
// another failure of the source 500 with its message; any other path 404.
//
// Lifecycle: Start() listens on 127.0.0.1 (port 0 picks one). Listen() adds a listener on
// another address, e.g. a bridge's gateway, so containers behind it reach the endpoint;
// Unlisten() drops it when the bridge goes. Stop() (or the destructor) closes them all.
// An address may name its interface, "<ip>%<bridge>" (ListenAddress): the listener is then
// bound to that bridge, as a VPC subnet's gateway needs, since two VPCs' bridges may carry
// one gateway address (network/network.h) and a reply must leave by the bridge its request
// came in on.
//
// The source must outlive the server.
//
// Thread-safety: Listen, Unlisten, BaseUrl and Stop may be called from any thread. The
// source is called from the listeners' loop threads (one per listener), concurrently with
// the runner: its methods must be thread-safe and quick (no waiting on the runner).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "base/status.h"
#include "net/http_server.h"

namespace wharf::agent {

// One answer of the endpoint: HTTP status and JSON body.
struct MetadataAnswer {
  int status = 200;
  std::string body;
};

// What the task runners know; NotFound for a token they did not hand out.
class MetadataSource {
 public:
  virtual ~MetadataSource() = default;
  virtual Result<boost::json::object> Container(const std::string& token) = 0;
  virtual Result<boost::json::object> Task(const std::string& token) = 0;
  // whole_task: {DockerId: stats, ...} for the task's containers.
  virtual Result<boost::json::object> Stats(const std::string& token, bool whole_task) = 0;
  // The credentials of the task role behind credentials id `id`, for a request from
  // `source_address`: NotFound unless that address is the task's. None by default.
  virtual Result<boost::json::object> RoleCredentials(const std::string& id, const std::string& source_address) {
    return Status::NotFound(id + " from " + source_address);
  }
  // The task scale-in protection state of the task of the container with `token`: GET reads
  // it, PUT (`body`: the request's JSON) sets it, through ECS's Get/UpdateTaskProtection
  // signed with the task role's credentials, as the ECS agent does. The answer in the ECS
  // agent's words. Not served by default.
  virtual MetadataAnswer TaskProtection(const std::string& token, std::string_view method, std::string_view body) {
    return {404, "404 page not found\n"};
  }
};

// The routing above, without the network: `target` is the request's path (query ignored),
// `source_address` the address the request came from, `method` and `body` the request's.
MetadataAnswer AnswerMetadataRequest(MetadataSource& source, std::string_view target,
                                     const std::string& source_address = "", std::string_view method = "GET",
                                     std::string_view body = "");

// "<ip>%<device>" when `device` is set, else "<ip>": what Listen and BaseUrl take.
std::string ListenAddress(const std::string& ip, const std::string& device);

class MetadataServer {
 public:
  static Result<std::unique_ptr<MetadataServer>> Start(MetadataSource& source);
  ~MetadataServer();
  MetadataServer(const MetadataServer&) = delete;
  MetadataServer& operator=(const MetadataServer&) = delete;

  // One more listener on `address` (port 0: the loopback listener's port when it is free on
  // `address`, else any free one). OK when one is already there.
  Status Listen(const std::string& address, uint16_t port = 0);
  void Unlisten(const std::string& address);
  // "http://<address>:<port>/v4/", or "" when nothing listens on `address`.
  std::string BaseUrl(const std::string& address = "127.0.0.1") const;
  // The port listening on `address`; 0 when none.
  uint16_t Port(const std::string& address) const;
  void Stop();

 private:
  explicit MetadataServer(MetadataSource& source) : source_(source) {}

  // Constant after construction.
  MetadataSource& source_;

  // Protected by mu_.
  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<net::HttpServer>> listeners_ GUARDED_BY(mu_);  // by address
};

}  // namespace wharf::agent
