// FrontDoor: the one HTTP entry point of the API port. It tells services apart
// (X-Amz-Target for JSON protocols, the SigV4 scope for Query protocols and EC2), verifies
// SigV4, checks the request against the service model, runs the operation and writes
// the answer in the service's protocol. It is also where every error becomes the AWS
// error the client expects.
//
// Where the work runs: Handle, called on an event loop, only posts the request to a small
// pool of workers (FrontDoorOptions::workers) and returns. Authentication, decoding, the
// operation and its store calls (with etcd, HTTP round trips) and the encoding run on a
// worker, which answers through the Responder; so a slow store delays the requests that
// wait for it, never a loop and the connections it serves. With `workers` 0 everything
// runs on the loop (the former path, kept for comparison in bench/).
//
// Reads stay on the loop where the store answers them from memory (`reads_on_loop`: the
// SQLite and memory stores): a read is named Describe*, List* or Get* (the verbs of IAM's
// List and Read access levels), or is a GET of a /_wharf/ route. Handing a request to
// another thread and back costs more than such a read (about 30 us of CPU per request,
// +75 %, measured on 2 vCPUs), and the read does not block. Writes there wait for an
// fsync and go to the workers; with etcd every request goes to them.
//
// Overload: at most `queue_limit` requests wait for a worker. Beyond that, or once Stop()
// has begun, the loop answers at once with the service's own throttling error
// (ThrottlingException for JSON services, Throttling for Query ones, EC2's
// RequestLimitExceeded; 503 for /_wharf/ routes): AWS SDKs back off before retrying
// those, so a slow store sheds load instead of queueing it without bound.
//
// Lifecycle: Stop() (and the destructor) refuses new requests and finishes every queued
// one; call it while the listener still runs, so their answers can be written.
//
// Regions: the region of a request is its SigV4 credential scope's. Global services (STS,
// IAM) are the same in every region; regional ones come from `RegionalServices`, which
// hands out a region's endpoints, making them on the region's first request. Every region
// runs the same services, so a request is routed and authenticated with the home region's
// endpoint and handed to its own region's only once its signature holds: an unsigned
// request never makes a region. A region not in FrontDoorOptions::regions is checked
// against the home region and refused as AWS refuses a scope naming no region ("Credential
// should be scoped to a valid region").
//
// Thread-safety: Handle may run on many loops at once; services are registered before
// the server starts and are immutable afterwards.
#pragma once

#include <boost/json/object.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/aws_error.h"
#include "api/credentials.h"
#include "api/resource_tags.h"
#include "api/service_model.h"
#include "base/clock.h"
#include "base/random.h"
#include "net/http_server.h"
#include "net/worker_pool.h"

namespace wharf::controlplane {
class Authorizer;
struct EndpointOrigin;
}

namespace wharf::api::authz {
struct Check;
}  // namespace wharf::api::authz

namespace wharf::api {

struct RequestContext {
  std::string request_id;
  std::string region;
  std::string account_id;
  std::string access_key_id;
  std::string principal_arn;  // the caller: arn:aws:iam::<account>:root for the admin key
  std::chrono::system_clock::time_point now;
  std::string principal_id;   // GetCallerIdentity's UserId: the account id for root, AIDA... for a user
  std::string user_name;      // the IAM user signing; empty for root
  // What the access key signs as (null only in tests that make contexts by hand).
  std::shared_ptr<const KeyOwner> key_owner;
  std::string source_ip;  // the client's address (aws:SourceIp), empty when unknown
  // The VPC interface endpoint the request came through (aws:SourceVpce, aws:SourceVpc, and
  // its policy, which must allow too); null for a request that came through none.
  std::shared_ptr<const controlplane::EndpointOrigin> endpoint{};
};

// Operations run on a front door worker (or, with no workers, on an event loop).
using OperationHandler = std::function<Outcome(const RequestContext&, boost::json::object& input)>;
// An operation that answers later (after a disk flush, say): it calls `done` exactly once,
// from any thread, and should not hold its worker while it waits.
using DeferredOperationHandler = std::function<void(const RequestContext&, boost::json::object& input,
                                                    std::function<void(Outcome)> done)>;

// One AWS service's operations.
struct ServiceEndpoint;
// A region's own services, or null when the region is not served. Called on request
// threads; what it returns must live as long as the FrontDoor.
using RegionalServices = std::function<const std::vector<ServiceEndpoint>*(std::string_view region)>;

struct ServiceEndpoint {
  std::unique_ptr<ServiceModel> model;
  std::map<std::string, OperationHandler, std::less<>> operations;
  std::map<std::string, DeferredOperationHandler, std::less<>> deferred_operations;  // JSON only
  std::string validation_error;  // e.g. "InvalidParameterException", "ValidationError"
  std::function<AwsError(const Status&)> to_error;  // a Status from below -> this service's error
  // A global service (IAM) is signed for this region whatever the server's region is.
  std::string signing_region;
  // The resource-based policy of a resource ARN ("" when none), for services whose
  // resources have them (ECR repositories); evaluated with the caller's own policies.
  std::function<std::string(std::string_view resource_arn)> resource_policy;
  // The resource's policy must itself allow, by naming the caller or by naming the account
  // (which delegates to the caller's IAM policies): KMS key policies.
  bool resource_policy_required = false;
  // The tags of a resource ARN (aws:ResourceTag/<key>), for services whose resources carry
  // them; empty when it has none or is not found (a policy's condition on it then fails, as
  // for a resource being created). Read only when one of the caller's policies asks.
  std::function<ResourceTags(std::string_view resource_arn)> resource_tags;
  // The service's own name for that key, where it has one ("secretsmanager:ResourceTag/").
  std::string service_resource_tag_key;
  // Turns a check's resource into the one AWS authorizes (KMS: an alias into its key).
  std::function<void(authz::Check& check)> resolve_check;
  // UnknownOperationException's message for an operation this endpoint does not serve (AWS's
  // is empty; a service wharf serves only part of, such as SSM, says what it serves).
  std::string unknown_operation_message;
  // A JSON service that was a Query service (the model's awsQueryCompatible: CloudWatch). It
  // answers the Query protocol too (older clients send it), and its JSON errors carry the
  // Query code in x-amzn-query-error, which SDKs report as the error's code.
  bool query_compatible = false;
  std::string json_content_type = "application/x-amz-json-1.1";  // the model's jsonVersion
  // Served over smithy-rpc-v2-cbor as well (the model's protocols list names it first:
  // CloudWatch), at /service/<targetPrefix>/operation/<Operation> (api/cbor_protocol.h). Its
  // errors' __type is "<smithy_namespace>#<code>".
  bool rpc_v2_cbor = false;
  std::string smithy_namespace;
  // The code of a missing required parameter, where the service has its own (EC2's and
  // CloudWatch's MissingParameter); empty: validation_error.
  std::string missing_parameter_error;
};

struct FrontDoorOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  bool dev = false;
  // Threads that run requests (0: run them on the event loops). A worker waiting on etcd
  // holds one round trip in flight, so this bounds the store calls under way; 8 matches
  // the etcd client's kept-alive connections.
  int workers = 8;
  size_t queue_limit = 256;     // requests waiting for a worker before the answer is "throttled"
  bool reads_on_loop = false;   // the store answers reads from memory: reads skip the workers
  std::vector<std::string> regions;  // served besides `region` (needs SetRegionalServices)
};

class FrontDoor {
 public:
  FrontDoor(FrontDoorOptions options, CredentialStore& credentials, Clock& clock, Random& random);
  ~FrontDoor();

  // A global service, served in every region.
  void AddService(ServiceEndpoint endpoint);
  void SetRegionalServices(RegionalServices regional);
  // From now on every request not signed by the account root must be allowed by the
  // caller's IAM policies (docs/IAM_POLICY.md). Without it everything signed is allowed.
  void SetAuthorizer(controlplane::Authorizer* authorizer) { authorizer_ = authorizer; }
  // Extra plain-HTTP routes under /_wharf/ (health, reset).
  void AddAdminRoute(std::string method, std::string path,
                     std::function<net::Response(const net::Request&)> route);
  // Routes under /_wharf/ for clients with AWS keys (agents): the request must carry a valid
  // SigV4 signature for `signing_service`; the route may answer later, from any thread.
  using SignedRoute =
      std::function<void(const RequestContext&, const net::Request&, const net::Responder&)>;
  void AddSignedRoute(std::string method, std::string path, std::string signing_service,
                      SignedRoute route);

  // `source_ip`: the client's address (aws:SourceIp), empty when unknown. `endpoint`: the VPC
  // interface endpoint the connection came through (controlplane/vpc_endpoint_origin.h), or
  // null. Through one, only its own service in its own region is served: a request naming
  // another (ServedThrough) has its connection closed unanswered, as AWS's endpoint, whose certificate names only its
  // service's hosts, fails a client's TLS handshake for another's.
  void Handle(net::Request&& request, const net::Responder& respond, std::string_view source_ip = {},
              std::shared_ptr<const controlplane::EndpointOrigin> endpoint = nullptr);
  // Whether a request through `endpoint` may be answered: it names no other service than the
  // endpoint's (the front door's routing: X-Amz-Target, the rpc-v2 path, the SigV4 scope) and
  // no other region, and is not one of wharf's own /_wharf/ routes.
  bool ServedThrough(const net::Request& request, const controlplane::EndpointOrigin& endpoint) const;
  // Whether the access key may make a registry (/v2/) request in `region`, as ECR's actions
  // (authz::RegistryChecks) with the repository's policy: null, or AccessDenied's message.
  // `endpoint`: the VPC endpoint (ecr.dkr) the request came through, whose policy must allow too.
  std::optional<std::string> AuthorizeRegistry(std::string_view access_key_id, std::string_view region,
                                               std::string_view method, std::string_view path,
                                               std::shared_ptr<const controlplane::EndpointOrigin> endpoint = nullptr) const;
  // Runs `operation` of the service signed as `signing_name` in `region` in process, as the
  // holder of `access_key_id`: the same input shape check, authorization and handler a
  // request gets (CloudFormation provisions its stacks' resources this way, as the caller).
  // From any thread but an event loop (a deferred operation is waited for).
  Outcome Invoke(std::string_view region, std::string_view access_key_id, std::string_view signing_name,
                 std::string_view operation, boost::json::object input) const;
  // Refuses new requests and finishes the queued ones. Not from an operation.
  void Stop();

 private:
  // Everything Handle did before workers: routes, authenticates, runs and answers.
  void Dispatch(net::Request& req, const std::string& request_id, const net::Responder& respond,
                const std::shared_ptr<const controlplane::EndpointOrigin>& endpoint);
  // The answer to a request no worker will take.
  net::Response Refused(const net::Request& req, const std::string& request_id) const;
  // The served region the request is signed for, else the home region.
  std::string RequestRegion(const net::Request& req) const;
  // The home region's or global service that `match` picks.
  const ServiceEndpoint* FindService(const std::function<bool(const ServiceEndpoint&)>& match) const;
  // `home` (found by FindService) as `region` runs it.
  const ServiceEndpoint* InRegion(const ServiceEndpoint* home, std::string_view region) const;
  const ServiceEndpoint* QueryService(const net::Request& req) const;
  // The JSON service of an X-Amz-Target prefix, the rpc-v2-cbor service of a path's; null for none.
  const ServiceEndpoint* JsonService(std::string_view target_prefix) const;
  const ServiceEndpoint* CborService(std::string_view target_prefix) const;
  // The service a request names, as the handlers route it; null for none.
  const ServiceEndpoint* RequestedService(const net::Request& req) const;
  // The message for a request to a service this server does not run (`service`: a SigV4
  // signing name or an X-Amz-Target prefix), naming the ones it does.
  std::string NotServed(std::string_view service) const;
  // Empty when a deferred operation will answer through `later`.
  // `via`: the endpoint the request came through, or null.
  using Via = std::shared_ptr<const controlplane::EndpointOrigin>;
  std::optional<net::Response> HandleJson(const net::Request& req, std::string_view target,
                                          const std::string& request_id,
                                          const std::function<void(net::Response)>& later, const Via& via);
  net::Response HandleQuery(const net::Request& req, const std::string& request_id, const Via& via);
  // smithy-rpc-v2-cbor; empty when a deferred operation will answer through `later`.
  std::optional<net::Response> HandleCbor(const net::Request& req, const std::string& request_id,
                                          const std::function<void(net::Response)>& later, const Via& via);
  // The two RPC protocols, JSON 1.0/1.1 and smithy-rpc-v2-cbor, differ only in their
  // bodies and errors once a request names its service: HandleRpc is the rest, for both.
  enum class RpcWire { kJson, kCbor };
  // Finds the operation, authenticates, decodes, checks the input's shape, authorizes,
  // runs and answers; empty when a deferred operation will answer through `later`.
  std::optional<net::Response> HandleRpc(RpcWire wire, const net::Request& req, const ServiceEndpoint& home,
                                         std::string_view op_name, const std::string& request_id,
                                         const std::function<void(net::Response)>& later, const Via& via);
  // The request body as the JSON object an operation takes, or the SerializationException's message.
  static Result<boost::json::value> DecodeRpcBody(RpcWire wire, std::string_view body);
  net::Response RpcError(RpcWire wire, const AwsError& error, const std::string& request_id,
                         const ServiceEndpoint* service) const;
  net::Response RpcAnswer(RpcWire wire, const ServiceEndpoint& service, const Operation& op, Outcome outcome,
                          const std::string& request_id) const;
  std::optional<AwsError> Authenticate(const net::Request& req, const ServiceEndpoint& service,
                                       bool query_protocol, RequestContext& ctx);
  // Whether the caller may run `operation` with `input`: the AccessDenied error if not.
  std::optional<AwsError> Authorize(const RequestContext& ctx, const ServiceEndpoint& service,
                                    std::string_view operation, const boost::json::object& input) const;
  net::Response JsonError(const AwsError& error, const std::string& request_id,
                          const ServiceEndpoint* service = nullptr) const;
  net::Response CborError(const AwsError& error, const std::string& request_id,
                          const ServiceEndpoint* service = nullptr) const;
  net::Response QueryError(const ServiceEndpoint* service, const AwsError& error,
                           const std::string& request_id) const;

  const FrontDoorOptions options_;
  CredentialStore& credentials_;
  Clock& clock_;
  Random& random_;
  std::vector<ServiceEndpoint> services_;  // global
  RegionalServices regional_;
  controlplane::Authorizer* authorizer_ = nullptr;
  const std::vector<ServiceEndpoint>* home_services_ = nullptr;  // regional_(home region)
  std::map<std::string, std::function<net::Response(const net::Request&)>> admin_routes_;
  std::map<std::string, std::pair<std::string, SignedRoute>> signed_routes_;
  std::unique_ptr<net::WorkerPool> workers_;  // null: requests run on the loops
  std::atomic<uint64_t> refused_{0};          // requests no worker took, for the log
};

}  // namespace wharf::api
