// FrontDoor: the one HTTP entry point of the API port. It tells services apart
// (X-Amz-Target for JSON protocols, the SigV4 scope for Query protocols and EC2), verifies
// SigV4, checks the request against the service model, runs the operation and writes
// the answer in the service's protocol. It is also where every error becomes the AWS
// error the client expects.
//
// Thread-safety: Handle may run on many loops at once; services are registered before
// the server starts and are immutable afterwards.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/aws_error.h"
#include "api/credentials.h"
#include "api/service_model.h"
#include "base/clock.h"
#include "base/random.h"
#include "net/http_server.h"

namespace wharf::api {

struct RequestContext {
  std::string request_id;
  std::string region;
  std::string account_id;
  std::string access_key_id;
  std::string principal_arn;  // the caller: arn:aws:iam::<account>:root for the admin key
  std::chrono::system_clock::time_point now;
};

using OperationHandler = std::function<Outcome(const RequestContext&, boost::json::object& input)>;
// An operation that answers later (after a disk flush, say): it calls `done` exactly once,
// from any thread, and must not block the loop it was called on.
using DeferredOperationHandler = std::function<void(const RequestContext&, boost::json::object& input,
                                                    std::function<void(Outcome)> done)>;

// One AWS service's operations.
struct ServiceEndpoint {
  std::unique_ptr<ServiceModel> model;
  std::map<std::string, OperationHandler, std::less<>> operations;
  std::map<std::string, DeferredOperationHandler, std::less<>> deferred_operations;  // JSON only
  std::string validation_error;  // e.g. "InvalidParameterException", "ValidationError"
  std::function<AwsError(const Status&)> to_error;  // a Status from below -> this service's error
};

struct FrontDoorOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  bool dev = false;
};

class FrontDoor {
 public:
  FrontDoor(FrontDoorOptions options, CredentialStore& credentials, Clock& clock, Random& random)
      : options_(std::move(options)), credentials_(credentials), clock_(clock), random_(random) {}

  void AddService(ServiceEndpoint endpoint);
  // Extra plain-HTTP routes under /_wharf/ (health, reset).
  void AddAdminRoute(std::string method, std::string path,
                     std::function<net::Response(const net::Request&)> route);
  // Routes under /_wharf/ for clients with AWS keys (agents): the request must carry a valid
  // SigV4 signature for `signing_service`; the route may answer later, from any thread.
  using SignedRoute =
      std::function<void(const RequestContext&, const net::Request&, const net::Responder&)>;
  void AddSignedRoute(std::string method, std::string path, std::string signing_service,
                      SignedRoute route);

  void Handle(net::Request&& request, const net::Responder& respond);

 private:
  // Empty when a deferred operation will answer through `later`.
  std::optional<net::Response> HandleJson(const net::Request& req, std::string_view target,
                                          const std::string& request_id,
                                          const std::function<void(net::Response)>& later);
  net::Response HandleQuery(const net::Request& req, const std::string& request_id);
  std::optional<AwsError> Authenticate(const net::Request& req, const ServiceEndpoint& service,
                                       bool query_protocol, RequestContext& ctx);
  net::Response JsonError(const AwsError& error, const std::string& request_id) const;
  net::Response QueryError(const ServiceEndpoint* service, const AwsError& error,
                           const std::string& request_id) const;

  const FrontDoorOptions options_;
  CredentialStore& credentials_;
  Clock& clock_;
  Random& random_;
  std::vector<ServiceEndpoint> services_;
  std::map<std::string, std::function<net::Response(const net::Request&)>> admin_routes_;
  std::map<std::string, std::pair<std::string, SignedRoute>> signed_routes_;
};

}  // namespace wharf::api
