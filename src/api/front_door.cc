#include "api/front_door.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <future>

#include "api/authorize.h"
#include "api/cbor.h"
#include "api/cbor_protocol.h"
#include "api/content_encoding.h"
#include "api/query_protocol.h"
#include "api/shape_check.h"
#include "controlplane/vpc_endpoint_origin.h"
#include "sigv4/sigv4.h"
#include "base/crypto.h"
#include "base/logging.h"

namespace wharf::api {
namespace json = boost::json;
namespace http = boost::beast::http;

using sigv4::AuthFailure;
using sigv4::AuthResult;
using sigv4::ParseCredential;
using sigv4::SignedRequest;
using sigv4::SigV4Options;
using sigv4::VerifySigV4;

namespace {

constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
constexpr std::string_view kSourceIpField = "x-wharf-source-ip";

std::string SourceIp(const net::Request& req) {
  auto field = req.find(kSourceIpField);
  return field == req.end() ? std::string() : std::string(field->value());
}

SignedRequest ToSigned(const net::Request& req) {
  SignedRequest s;
  s.method = req.method_string();
  s.target = req.target();
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  s.body = req.body();
  return s;
}

// The credential scope a request is signed with: its Authorization header's, or a
// presigned URL's X-Amz-Credential.
std::optional<sigv4::Credential> ScopeOf(const net::Request& req) {
  auto authorization = req.find(http::field::authorization);
  if (authorization != req.end()) return ParseCredential(authorization->value());
  return sigv4::ParsePresignedCredential(req.target());
}

// The error codes of an authentication failure, per protocol family.
AwsError AuthError(AuthFailure failure, const std::string& message, bool query) {
  switch (failure) {
    case AuthFailure::kMissing:
      return query ? AwsError{"MissingAuthenticationToken", message, 403}
                   : AwsError{"MissingAuthenticationTokenException", message, 400};
    case AuthFailure::kIncomplete:
      return AwsError{query ? "IncompleteSignature" : "IncompleteSignatureException", message, 400};
    case AuthFailure::kUnknownKey:
      return query ? AwsError{"InvalidClientTokenId", message, 403}
                   : AwsError{"UnrecognizedClientException", message, 400};
    case AuthFailure::kBadSignature:
    case AuthFailure::kExpired:
    case AuthFailure::kBadScope:
      return query ? AwsError{"SignatureDoesNotMatch", message, 403}
                   : AwsError{"InvalidSignatureException", message, 400};
  }
  return AwsError{"InternalFailure", message, 500, true};
}

// EC2 answers a key it does not know or a signature that does not match with AuthFailure.
AwsError Ec2AuthError(AuthFailure failure, const std::string& message) {
  if (failure == AuthFailure::kMissing || failure == AuthFailure::kIncomplete) {
    return AuthError(failure, message, true);
  }
  return AwsError{"AuthFailure", message, 401};
}

bool IsEc2(const ServiceEndpoint* service) {
  return service && service->model->protocol() == "ec2";
}

// Temporary credentials past their expiration, in each protocol's words.
AwsError ExpiredTokenError(const ServiceEndpoint* service, bool query) {
  if (IsEc2(service)) return AwsError{"RequestExpired", "Request has expired.", 400};
  return query ? AwsError{"ExpiredToken", "The security token included in the request is expired", 403}
               : AwsError{"ExpiredTokenException", "The security token included in the request is expired", 400};
}

// A denial, in each protocol's words: JSON services' AccessDeniedException, Query services'
// AccessDenied, EC2's UnauthorizedOperation.
AwsError AccessDeniedError(const ServiceEndpoint& service, const std::string& message) {
  if (IsEc2(&service)) {
    return AwsError{"UnauthorizedOperation", "You are not authorized to perform this operation. " + message, 403};
  }
  if (service.model->protocol() == "query") return AwsError{"AccessDenied", message, 403};
  return AwsError{"AccessDeniedException", message, 400};
}

net::Response MakeResponse(int status, std::string_view content_type, std::string body,
                           const std::string& request_id) {
  net::Response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, content_type);
  res.set("x-amzn-RequestId", request_id);
  res.body() = std::move(body);
  return res;
}

// Runs an operation. A Boost or std exception escaping a handler is a bug, but it must not
// take the server down: it becomes the service's internal error for this request.
Outcome Run(const ServiceEndpoint& service, const OperationHandler& handler,
            const RequestContext& ctx, json::object& input) {
  try {
    return handler(ctx, input);
  } catch (const std::exception& e) {
    LOG_ERROR("msg=\"operation threw\" request_id={} error=\"{}\"", ctx.request_id, e.what());
    return service.to_error(Status::Internal(e.what()));
  }
}

// The value of `name` in a form body ("Action=DescribeVpcs&..."), undecoded.
std::string_view FormValue(std::string_view form, std::string_view name) {
  while (!form.empty()) {
    std::string_view pair = form.substr(0, form.find('&'));
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    form.remove_prefix(std::min(form.size(), pair.size() + 1));
  }
  return {};
}

// Whether a request only reads: an operation named as AWS names its read-only ones, or a
// GET of one of wharf's own routes. A guess from the name, which decides only where the
// request runs, never what it does.
bool IsRead(const net::Request& req) {
  std::string_view target = req.target();
  if (target.substr(0, 8) == "/_wharf/") return req.method() == http::verb::get;
  std::string_view op;
  std::string_view rpc_service;
  if (ParseRpcV2Path(target, rpc_service, op)) {
    // smithy-rpc-v2-cbor names the operation in the path
  } else if (auto amz_target = req.find("x-amz-target"); amz_target != req.end()) {
    op = amz_target->value();
    if (size_t dot = op.rfind('.'); dot != std::string_view::npos) op.remove_prefix(dot + 1);
  } else {
    op = FormValue(req.body(), "Action");
  }
  return op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get");
}

}  // namespace

FrontDoor::FrontDoor(FrontDoorOptions options, CredentialStore& credentials, Clock& clock, Random& random)
    : options_(std::move(options)), credentials_(credentials), clock_(clock), random_(random) {
  if (options_.workers > 0) {
    workers_ = std::make_unique<net::WorkerPool>(net::WorkerPoolOptions{options_.workers, options_.queue_limit});
  }
}

FrontDoor::~FrontDoor() { Stop(); }

void FrontDoor::Stop() {
  if (workers_) workers_->Stop();
}

void FrontDoor::AddService(ServiceEndpoint endpoint) { services_.push_back(std::move(endpoint)); }

void FrontDoor::SetRegionalServices(RegionalServices regional) {
  regional_ = std::move(regional);
  home_services_ = regional_(options_.region);
}

std::string FrontDoor::RequestRegion(const net::Request& req) const {
  auto cred = ScopeOf(req);
  if (!cred || !regional_) return options_.region;
  const auto& served = options_.regions;
  if (std::find(served.begin(), served.end(), cred->region) == served.end()) return options_.region;
  return cred->region;
}

const ServiceEndpoint* FrontDoor::FindService(const std::function<bool(const ServiceEndpoint&)>& match) const {
  if (home_services_) {
    for (const auto& s : *home_services_) {
      if (match(s)) return &s;
    }
  }
  for (const auto& s : services_) {
    if (match(s)) return &s;
  }
  return nullptr;
}

const ServiceEndpoint* FrontDoor::InRegion(const ServiceEndpoint* home, std::string_view region) const {
  if (!home || !regional_ || region == options_.region) return home;
  const auto* services = regional_(region);
  if (!services) return home;
  for (const auto& s : *services) {
    if (s.model->signing_name() == home->model->signing_name() &&
        s.model->target_prefix() == home->model->target_prefix()) {
      return &s;
    }
  }
  return home;  // a global service
}

void FrontDoor::AddAdminRoute(std::string method, std::string path,
                              std::function<net::Response(const net::Request&)> route) {
  admin_routes_[method + " " + path] = std::move(route);
}

void FrontDoor::AddSignedRoute(std::string method, std::string path, std::string signing_service,
                               SignedRoute route) {
  signed_routes_[method + " " + path] = {std::move(signing_service), std::move(route)};
}

void FrontDoor::Handle(net::Request&& req, const net::Responder& respond, std::string_view source_ip,
                       std::shared_ptr<const controlplane::EndpointOrigin> endpoint) {
  std::string request_id = RandomUuid(random_);
  // Carried with the request as a field of ours, replacing any a client sent.
  if (source_ip.empty()) {
    req.erase(kSourceIpField);
  } else {
    req.set(kSourceIpField, source_ip);
  }
  // Another service's request through an endpoint gets no answer at all.
  if (endpoint && !ServedThrough(req, *endpoint)) return respond(net::Reply::Drop());
  if (!workers_ || (options_.reads_on_loop && IsRead(req))) return Dispatch(req, request_id, respond, endpoint);
  // Shared, so that a refused request is still there to answer.
  auto pending = std::make_shared<net::Request>(std::move(req));
  Status posted = workers_->TryPost([this, pending, request_id, respond, endpoint = std::move(endpoint)] {
    Dispatch(*pending, request_id, respond, endpoint);
  });
  if (posted.ok()) return;
  // Logged at 1, 2, 4, 8... refusals: an overload is reported without a line per request.
  uint64_t refused = refused_.fetch_add(1, std::memory_order_relaxed) + 1;
  if ((refused & (refused - 1)) == 0) {
    LOG_WARN("msg=\"requests refused\" total={} reason=\"{}\"", refused, posted.message());
  }
  respond(Refused(*pending, request_id));
}

net::Response FrontDoor::Refused(const net::Request& req, const std::string& request_id) const {
  net::Response res = [&] {
    if (req.target().substr(0, 8) == "/_wharf/") {
      return MakeResponse(503, "application/json", "{\"message\":\"server busy\"}\n", request_id);
    }
    if (req.find("x-amz-target") != req.end()) {
      return JsonError(AwsError::Client("ThrottlingException", "Rate exceeded"), request_id);
    }
    if (std::string_view(req.target()).starts_with(kRpcV2CborPrefix)) {
      return CborError(AwsError::Client("ThrottlingException", "Rate exceeded"), request_id);
    }
    const ServiceEndpoint* service = QueryService(req);
    if (IsEc2(service)) {
      return QueryError(service, AwsError{"RequestLimitExceeded", "Request limit exceeded.", 503, true}, request_id);
    }
    return QueryError(service, AwsError::Client("Throttling", "Rate exceeded"), request_id);
  }();
  res.keep_alive(req.keep_alive());
  return res;
}

bool FrontDoor::ServedThrough(const net::Request& req, const controlplane::EndpointOrigin& endpoint) const {
  // wharf's own routes are the agents', on the host's network.
  if (std::string_view(req.target()).starts_with("/_wharf/")) return false;
  const ServiceEndpoint* service = RequestedService(req);
  if (service && controlplane::EndpointServiceOf(service->model->signing_name()) != endpoint.service) return false;
  // Signed for another service, or for another region (an endpoint is its region's). A
  // request that names no service at all is answered as the front door answers it anywhere
  // (a 404, a missing signature's error): no other service's answer.
  auto scope = ScopeOf(req);
  if (!scope) return true;
  return scope->region == endpoint.region &&
         (scope->service.empty() || controlplane::EndpointServiceOf(scope->service) == endpoint.service);
}

const ServiceEndpoint* FrontDoor::JsonService(std::string_view target_prefix) const {
  return FindService([&](const ServiceEndpoint& s) {
    return s.model->protocol() == "json" && s.model->target_prefix() == target_prefix;
  });
}

const ServiceEndpoint* FrontDoor::CborService(std::string_view target_prefix) const {
  return FindService([&](const ServiceEndpoint& s) { return s.rpc_v2_cbor && s.model->target_prefix() == target_prefix; });
}

const ServiceEndpoint* FrontDoor::RequestedService(const net::Request& req) const {
  std::string_view target = req.target();
  if (auto amz_target = req.find("x-amz-target"); amz_target != req.end()) {
    std::string_view value = amz_target->value();
    size_t dot = value.rfind('.');
    return JsonService(value.substr(0, dot == std::string_view::npos ? 0 : dot));
  }
  std::string_view prefix, op_name;
  if (ParseRpcV2Path(target, prefix, op_name)) return CborService(prefix);
  return QueryService(req);
}

void FrontDoor::Dispatch(net::Request& req, const std::string& request_id, const net::Responder& respond,
                         const Via& via) {
  std::string_view target = req.target();
  if (target.substr(0, 8) == "/_wharf/") {
    std::string path(target.substr(0, target.find('?')));
    auto signed_route = signed_routes_.find(std::string(req.method_string()) + " " + path);
    if (signed_route != signed_routes_.end()) {
      RequestContext ctx{request_id, RequestRegion(req), options_.account_id, {}, {}, {}, {}, {}, {}, SourceIp(req)};
      const std::string& signing_name = signed_route->second.first;
      const ServiceEndpoint* service =
          FindService([&](const ServiceEndpoint& s) { return s.model->signing_name() == signing_name; });
      if (!service) return respond(JsonError(AwsError{"InternalFailure", "no service", 500, true}, request_id));
      if (auto err = Authenticate(req, *service, false, ctx)) return respond(JsonError(*err, request_id));
      // Agents act for the container instance: the ECS agent's own permission, ecs:Poll
      // (AmazonEC2ContainerServiceforEC2Role grants it), lets a key use these routes.
      if (authorizer_) {
        auto denial = Denial(*authorizer_, ctx, {authz::Check{signing_name + ":Poll", "*", {}}});
        if (!denial.ok()) return respond(JsonError(service->to_error(denial.status()), request_id));
        if (*denial) return respond(JsonError(AccessDeniedError(*service, **denial), request_id));
      }
      return signed_route->second.second(ctx, req, respond);
    }
    auto it = admin_routes_.find(std::string(req.method_string()) + " " + path);
    if (it == admin_routes_.end()) {
      return respond(MakeResponse(404, "application/json", "{\"message\":\"not found\"}\n", request_id));
    }
    return respond(it->second(req));
  }
  auto amz_target = req.find("x-amz-target");
  std::string what = amz_target != req.end() ? std::string(amz_target->value()) : std::string(target);
  auto finish = [respond, keep_alive = req.keep_alive(), request_id, what](net::Response res) {
    res.keep_alive(keep_alive);
    LOG_DEBUG("request id={} target={} status={}", request_id, what, res.result_int());
    respond(std::move(res));
  };
  if (amz_target == req.end() && target.starts_with(kRpcV2CborPrefix)) {
    if (auto res = HandleCbor(req, request_id, finish, via)) finish(std::move(*res));
    return;
  }
  if (amz_target == req.end()) return finish(HandleQuery(req, request_id, via));
  if (auto res = HandleJson(req, amz_target->value(), request_id, finish, via)) finish(std::move(*res));
}

std::optional<AwsError> FrontDoor::Authenticate(const net::Request& req,
                                                const ServiceEndpoint& service, bool query,
                                                RequestContext& ctx) {
  SigV4Options opts;
  // A global service (IAM) is signed for its one region, a regional one for the request's.
  opts.region = service.signing_region.empty() ? ctx.region : service.signing_region;
  opts.service = service.model->signing_name();
  opts.accept_any_key = options_.dev;
  ctx.now = clock_.Now();
  std::optional<KeyOwner> owner;
  AuthResult auth = VerifySigV4(
      ToSigned(req), opts,
      [this, &owner](std::string_view id) -> std::optional<std::string> {
        // An Inactive key is refused as an unknown one, as AWS does.
        owner = credentials_.Lookup(id);
        if (!owner || !owner->active) return std::nullopt;
        return owner->secret;
      },
      ctx.now);
  if (auth.failure) {
    return IsEc2(&service) ? Ec2AuthError(*auth.failure, auth.message)
                           : AuthError(*auth.failure, auth.message, query);
  }
  ctx.access_key_id = auth.credential.access_key_id;
  if (owner && owner->temporary()) {
    // A temporary key is good only with its own session token, and only until it expires.
    if (!ConstantTimeEquals(auth.security_token, owner->session_token)) {
      return IsEc2(&service) ? Ec2AuthError(AuthFailure::kUnknownKey, "AWS was not able to validate the provided access credentials")
                             : AuthError(AuthFailure::kUnknownKey, "The security token included in the request is invalid.", query);
    }
    if (ctx.now >= owner->expiration) return ExpiredTokenError(&service, query);
  }
  if (owner) {
    SetPrincipal(ctx, *owner);
  } else {  // dev mode: any key is the root
    ctx.principal_arn = "arn:aws:iam::" + options_.account_id + ":root";
    ctx.principal_id = options_.account_id;
  }
  if (owner) {
    credentials_.RecordUse(ctx.access_key_id, opts.service, auth.credential.region, ctx.now);
    ctx.key_owner = std::make_shared<const KeyOwner>(std::move(*owner));
  }
  return std::nullopt;
}

std::optional<AwsError> FrontDoor::Authorize(const RequestContext& ctx, const ServiceEndpoint& service,
                                             std::string_view operation, const json::object& input) const {
  const KeyOwner* owner = ctx.key_owner.get();
  // The account root may do everything its resources' policies allow it (a KMS key's must
  // allow it, another's must not deny it); so may every key when no authorizer is set.
  // Through a VPC endpoint the root is bound by the endpoint's policy too.
  if (!authorizer_ || !owner || (owner->root && !service.resource_policy && !ctx.endpoint)) return std::nullopt;
  auto checks = authz::ChecksFor(service.model->signing_name(), operation, input,
                                 {ctx.region, ctx.account_id, ctx.user_name});
  // STS decides for itself: AssumeRole weighs the trust policy with the caller's policies;
  // GetCallerIdentity and GetSessionToken need no permission (api/sts.h). Through its VPC
  // endpoint, the endpoint's policy is weighed here, alone.
  if (service.model->signing_name() == "sts") {
    if (auto denied = EndpointDenial(ctx, checks)) return AccessDeniedError(service, *denied);
    return std::nullopt;
  }
  if (service.resolve_check) {
    for (authz::Check& check : checks) service.resolve_check(check);
  }
  auto denial = Denial(*authorizer_, ctx, std::move(checks), &service);
  if (!denial.ok()) return service.to_error(denial.status());
  if (*denial) return AccessDeniedError(service, **denial);
  return std::nullopt;
}

std::optional<std::string> FrontDoor::AuthorizeRegistry(std::string_view access_key_id, std::string_view region,
                                                        std::string_view method, std::string_view path,
                                                        std::shared_ptr<const controlplane::EndpointOrigin> endpoint) const {
  if (!authorizer_) return std::nullopt;
  auto owner = credentials_.Lookup(access_key_id);
  RequestContext ctx{"", std::string(region), options_.account_id, std::string(access_key_id), {}, clock_.Now(), {}, {}, {}, {},
                     std::move(endpoint)};
  // The registry password outlives neither its key nor a temporary key's session.
  if (!owner || !owner->active) return "The security token included in the request is invalid.";
  if (owner->temporary() && ctx.now >= owner->expiration) return "The security token included in the request is expired";
  SetPrincipal(ctx, *owner);
  ctx.key_owner = std::make_shared<const KeyOwner>(std::move(*owner));
  const ServiceEndpoint* ecr = InRegion(FindService([](const ServiceEndpoint& s) {
    return s.model->signing_name() == "ecr";
  }), region);
  auto denial = Denial(*authorizer_, ctx, authz::RegistryChecks(method, path, {ctx.region, ctx.account_id}), ecr);
  if (!denial.ok()) return denial.status().message();
  return *denial;
}

Outcome FrontDoor::Invoke(std::string_view region, std::string_view access_key_id, std::string_view signing_name,
                          std::string_view operation, json::object input) const {
  const ServiceEndpoint* service = InRegion(FindService([&](const ServiceEndpoint& s) {
    return s.model->signing_name() == signing_name;
  }), region);
  if (!service) return AwsError{"InvalidAction", NotServed(signing_name), 400};
  auto owner = credentials_.Lookup(access_key_id);
  RequestContext ctx{RandomUuid(random_), std::string(region), options_.account_id, std::string(access_key_id),
                     {}, clock_.Now(), {}, {}, {}, {}};
  if (!owner || !owner->active) {
    return AwsError{"InvalidClientTokenId", "The security token included in the request is invalid.", 403};
  }
  if (owner->temporary() && ctx.now >= owner->expiration) return ExpiredTokenError(service, true);
  SetPrincipal(ctx, *owner);
  ctx.key_owner = std::make_shared<const KeyOwner>(std::move(*owner));
  const Operation* op = service->model->FindOperation(operation);
  auto handler = service->operations.find(operation);
  auto deferred = service->deferred_operations.find(operation);
  if (!op || (handler == service->operations.end() && deferred == service->deferred_operations.end())) {
    return AwsError{"InvalidAction", "wharf does not serve " + std::string(signing_name) + ":" + std::string(operation), 400};
  }
  if (op->input()) {
    json::value checked = std::move(input);
    if (auto violation = CheckShape(*op->input(), checked, "")) {
      return AwsError{service->validation_error, violation->message, 400};
    }
    input = std::move(checked.get_object());
  }
  if (auto denied = Authorize(ctx, *service, operation, input)) return *denied;
  if (handler != service->operations.end()) return Run(*service, handler->second, ctx, input);
  std::promise<Outcome> answer;
  auto later = answer.get_future();
  deferred->second(ctx, input, [&answer](Outcome outcome) { answer.set_value(std::move(outcome)); });
  return later.get();
}

net::Response FrontDoor::JsonError(const AwsError& error, const std::string& request_id,
                                   const ServiceEndpoint* service) const {
  json::object body{{"__type", error.code}};
  if (!error.message.empty()) body["message"] = error.message;
  for (const auto& [k, v] : error.extra) body[k] = v;
  std::string_view content_type = service ? std::string_view(service->json_content_type) : kJsonContentType;
  net::Response res = MakeResponse(error.http_status, content_type, json::serialize(body), request_id);
  res.set("x-amzn-ErrorType", error.code + ":");
  if (service && service->query_compatible) {
    res.set("x-amzn-query-error", error.code + (error.server_fault ? ";Receiver" : ";Sender"));
  }
  return res;
}

net::Response FrontDoor::CborError(const AwsError& error, const std::string& request_id,
                                   const ServiceEndpoint* service) const {
  net::Response res = MakeResponse(error.http_status, kCborContentType,
                                   EncodeCborError(service ? std::string_view(service->smithy_namespace) : "", error),
                                   request_id);
  res.set("smithy-protocol", "rpc-v2-cbor");
  if (service && service->query_compatible) {
    res.set("x-amzn-query-error", error.code + (error.server_fault ? ";Receiver" : ";Sender"));
  }
  return res;
}

// The code for a request that fails the input shape check.
static std::string ValidationCode(const ServiceEndpoint& service, const ShapeViolation& violation) {
  bool missing = violation.message.rfind("Missing required parameter", 0) == 0;
  if (missing && !service.missing_parameter_error.empty()) return service.missing_parameter_error;
  return service.validation_error;
}

net::Response FrontDoor::QueryError(const ServiceEndpoint* service, const AwsError& error,
                                    const std::string& request_id) const {
  if (IsEc2(service)) {
    return MakeResponse(error.http_status, "text/xml", EncodeEc2Error(error, request_id), request_id);
  }
  std::string ns(service ? service->model->xml_namespace() : "");
  return MakeResponse(error.http_status, "text/xml", EncodeQueryError(ns, error, request_id),
                      request_id);
}

std::optional<net::Response> FrontDoor::HandleJson(const net::Request& req, std::string_view target,
                                                   const std::string& request_id,
                                                   const std::function<void(net::Response)>& later, const Via& via) {
  size_t dot = target.rfind('.');
  std::string_view prefix = target.substr(0, dot == std::string_view::npos ? 0 : dot);
  std::string_view op_name = dot == std::string_view::npos ? target : target.substr(dot + 1);
  const ServiceEndpoint* service = JsonService(prefix);
  if (!service) {
    // A JSON service wharf does not run (EventBridge, DynamoDB, ...): said so,
    // rather than an anonymous UnknownOperationException the SDK cannot explain.
    // The signing name says it in the words users know ("events", not "AWSEvents").
    auto authorization = req.find(http::field::authorization);
    auto cred = authorization == req.end() ? std::nullopt : ParseCredential(authorization->value());
    std::string name = cred && !cred->service.empty() ? cred->service : std::string(prefix);
    return JsonError(AwsError::Client("UnknownOperationException", NotServed(name)), request_id);
  }
  return HandleRpc(RpcWire::kJson, req, *service, op_name, request_id, later, via);
}

std::optional<net::Response> FrontDoor::HandleCbor(const net::Request& req, const std::string& request_id,
                                                   const std::function<void(net::Response)>& later, const Via& via) {
  std::string_view prefix, op_name;
  if (!ParseRpcV2Path(req.target(), prefix, op_name)) {
    return CborError(AwsError{"UnknownOperationException", "Not an rpc-v2 path: /service/<service>/operation/<operation>", 404},
                     request_id);
  }
  const ServiceEndpoint* service = CborService(prefix);
  if (!service) {
    return CborError(AwsError{"UnknownOperationException", NotServed(prefix), 404}, request_id);
  }
  // The protocol's requests are POSTs naming it; a server answers others with an error.
  auto protocol = req.find("smithy-protocol");
  if (req.method() != http::verb::post || protocol == req.end() || protocol->value() != "rpc-v2-cbor") {
    return CborError(AwsError::Client("SerializationException",
                                      "rpc-v2-cbor requests are POSTs with the header smithy-protocol: rpc-v2-cbor"),
                     request_id, service);
  }
  auto content_type = req.find(http::field::content_type);
  if (!req.body().empty() && (content_type == req.end() || !std::string_view(content_type->value()).starts_with(kCborContentType))) {
    return CborError(AwsError{"UnsupportedMediaTypeException", "The request body must be application/cbor", 415},
                     request_id, service);
  }
  return HandleRpc(RpcWire::kCbor, req, *service, op_name, request_id, later, via);
}

net::Response FrontDoor::RpcError(RpcWire wire, const AwsError& error, const std::string& request_id,
                                  const ServiceEndpoint* service) const {
  return wire == RpcWire::kJson ? JsonError(error, request_id, service) : CborError(error, request_id, service);
}

Result<json::value> FrontDoor::DecodeRpcBody(RpcWire wire, std::string_view body) {
  if (wire == RpcWire::kJson) {
    boost::system::error_code ec;
    json::value input = json::parse(body, ec);
    if (ec || !input.is_object()) return Status::InvalidArgument("");
    return input;
  }
  auto decoded = DecodeCbor(body);
  if (!decoded.ok()) return decoded.status();
  if (!decoded->is_object()) return Status::InvalidArgument("The request body is not a CBOR map");
  return decoded;
}

net::Response FrontDoor::RpcAnswer(RpcWire wire, const ServiceEndpoint& service, const Operation& op,
                                   Outcome outcome, const std::string& request_id) const {
  if (!outcome.ok()) return RpcError(wire, outcome.error(), request_id, &service);
  if (wire == RpcWire::kJson) {
    return MakeResponse(200, service.json_content_type, json::serialize(outcome.output()), request_id);
  }
  net::Response res = MakeResponse(200, kCborContentType, EncodeCborOutput(op.output(), outcome.output()), request_id);
  res.set("smithy-protocol", "rpc-v2-cbor");
  return res;
}

std::optional<net::Response> FrontDoor::HandleRpc(RpcWire wire, const net::Request& req, const ServiceEndpoint& home,
                                                  std::string_view op_name, const std::string& request_id,
                                                  const std::function<void(net::Response)>& later, const Via& via) {
  const ServiceEndpoint* service = &home;
  const Operation* op = service->model->FindOperation(op_name);
  auto handler = service->operations.find(op_name);
  auto deferred = service->deferred_operations.find(op_name);
  if (!op || (handler == service->operations.end() && deferred == service->deferred_operations.end())) {
    std::string message = service->unknown_operation_message;
    if (!message.empty()) message = std::string(op_name) + ": " + message;
    // JSON answers an unknown operation as a client error, rpc-v2-cbor as a missing resource.
    int status = wire == RpcWire::kJson ? 400 : 404;
    return RpcError(wire, AwsError{"UnknownOperationException", message, status}, request_id, service);
  }
  RequestContext ctx{request_id, RequestRegion(req), options_.account_id, {}, {}, {}, {}, {}, {}, SourceIp(req), via};
  if (auto err = Authenticate(req, *service, false, ctx)) return RpcError(wire, *err, request_id, service);
  if (ctx.region != options_.region) {
    service = InRegion(service, ctx.region);
    handler = service->operations.find(op_name);
    deferred = service->deferred_operations.find(op_name);
  }
  // The signature covers the body as sent; a compressed one (the SDKs gzip large
  // PutMetricData requests) is read decompressed.
  std::string inflated;
  auto body = DecodedBody(req, inflated);
  if (!body.ok()) {
    return RpcError(wire, AwsError::Client("SerializationException", body.status().message()), request_id, service);
  }
  auto decoded = DecodeRpcBody(wire, *body);
  if (!decoded.ok()) {
    return RpcError(wire, AwsError::Client("SerializationException", decoded.status().message()), request_id, service);
  }
  json::value input = std::move(decoded).value();
  if (op->input()) {
    if (auto violation = CheckShape(*op->input(), input, "")) {
      return RpcError(wire,
                      AwsError::Client(violation->serialization ? "SerializationException"
                                                                : ValidationCode(*service, *violation),
                                       violation->message),
                      request_id, service);
    }
  }
  if (auto denied = Authorize(ctx, *service, op_name, input.get_object())) {
    return RpcError(wire, *denied, request_id, service);
  }
  if (handler == service->operations.end()) {
    auto done = [this, wire, service, op, request_id, later](Outcome outcome) {
      later(RpcAnswer(wire, *service, *op, std::move(outcome), request_id));
    };
    try {
      deferred->second(ctx, input.get_object(), done);
    } catch (const std::exception& e) {
      LOG_ERROR("msg=\"operation threw\" request_id={} error=\"{}\"", ctx.request_id, e.what());
      done(service->to_error(Status::Internal(e.what())));
    }
    return std::nullopt;
  }
  return RpcAnswer(wire, *service, *op, Run(*service, handler->second, ctx, input.get_object()), request_id);
}

// The credential scope names a Query service; without it there is no service to ask.
std::string FrontDoor::NotServed(std::string_view service) const {
  std::string served;
  auto add = [&](const std::vector<ServiceEndpoint>& services) {
    for (const auto& s : services) {
      std::string name(s.model->signing_name());
      if (served.find(name) == std::string::npos) served += (served.empty() ? "" : ", ") + name;
    }
  };
  if (home_services_) add(*home_services_);
  add(services_);
  return "wharf does not serve the " + std::string(service) + " API on this endpoint (it serves " + served + ")";
}

const ServiceEndpoint* FrontDoor::QueryService(const net::Request& req) const {
  auto cred = ScopeOf(req);
  if (!cred) return nullptr;
  return FindService([&](const ServiceEndpoint& s) {
    return (s.model->protocol() == "query" || s.model->protocol() == "ec2" || s.query_compatible) &&
           s.model->signing_name() == cred->service;
  });
}

net::Response FrontDoor::HandleQuery(const net::Request& req, const std::string& request_id, const Via& via) {
  // A Query request is a form POST, or a GET whose query string is the form (presigned URLs).
  std::string_view target = req.target();
  size_t q = target.find('?');
  bool get = req.method() == http::verb::get && q != std::string_view::npos;
  if (req.method() != http::verb::post && !get) {
    return MakeResponse(404, "application/json", "{\"message\":\"not found\"}\n", request_id);
  }
  const ServiceEndpoint* service = QueryService(req);
  std::string inflated;
  auto body = DecodedBody(req, inflated);
  if (!body.ok()) return QueryError(service, AwsError::Client("MalformedInput", body.status().message()), request_id);
  auto form = ParseForm(get ? target.substr(q + 1) : std::string_view(*body));
  if (!service) {
    // Signed for a service wharf does not run (IAM, CloudFormation, ... before they land): the
    // scope names it, and the answer says so before any signature check, which could only
    // fail (there is no such service to hold the key) and would hide the reason.
    auto cred = ScopeOf(req);
    if (cred && !cred->service.empty()) {
      return QueryError(nullptr, AwsError{"InvalidAction", NotServed(cred->service), 400}, request_id);
    }
    AuthResult auth = VerifySigV4(ToSigned(req), SigV4Options{options_.region, "", {}, true},
                                  [](std::string_view) { return std::nullopt; }, clock_.Now());
    AwsError err = auth.failure && *auth.failure != AuthFailure::kBadScope
                       ? AuthError(*auth.failure, auth.message, true)
                       : AwsError{"InvalidAction", "No such service on this endpoint", 400};
    return QueryError(nullptr, err, request_id);
  }
  std::string action = form["Action"];
  const Operation* op = service->model->FindOperation(action);
  auto handler = service->operations.find(action);
  if (!op || handler == service->operations.end()) {
    return QueryError(service,
                      AwsError{"InvalidAction",
                               "Could not find operation " + action + " for version " +
                                   std::string(service->model->api_version()),
                               400},
                      request_id);
  }
  RequestContext ctx{request_id, RequestRegion(req), options_.account_id, {}, {}, {}, {}, {}, {}, SourceIp(req), via};
  if (auto err = Authenticate(req, *service, true, ctx)) return QueryError(service, *err, request_id);
  if (ctx.region != options_.region) {
    service = InRegion(service, ctx.region);
    op = service->model->FindOperation(action);
    handler = service->operations.find(action);
  }

  const bool ec2 = IsEc2(service);
  json::value input = json::object();
  if (op->input()) {
    auto decoded = ec2 ? DecodeEc2Input(*op->input(), form) : DecodeQueryInput(*op->input(), form);
    if (!decoded.ok()) {
      return QueryError(service, AwsError{service->validation_error, decoded.status().message(), 400},
                        request_id);
    }
    input = std::move(decoded).value();
    if (auto violation = CheckShape(*op->input(), input, "")) {
      // EC2 tells a missing parameter apart from a bad one.
      bool missing = violation->message.rfind("Missing required parameter", 0) == 0;
      std::string code = ec2 && missing ? "MissingParameter" : ValidationCode(*service, *violation);
      return QueryError(service, AwsError{code, violation->message, 400}, request_id);
    }
  }
  if (auto denied = Authorize(ctx, *service, action, input.get_object())) {
    return QueryError(service, *denied, request_id);
  }
  Outcome outcome = Run(*service, handler->second, ctx, input.get_object());
  if (!outcome.ok()) return QueryError(service, outcome.error(), request_id);
  return MakeResponse(200, "text/xml",
                      ec2 ? EncodeEc2Response(*service->model, *op, outcome.output(), request_id)
                          : EncodeQueryResponse(*service->model, *op, outcome.output(), request_id),
                      request_id);
}

}  // namespace wharf::api
