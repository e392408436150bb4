// The OCI distribution API (spec 1.1) under /v2/ on the API port, with ECR's auth:
// Basic credentials "AWS:<password from GetAuthorizationToken>", a 401 challenge otherwise.
//
// Large request bodies (blob uploads) arrive spooled to files (net::Incoming::body_file);
// blobs are answered straight from their files. Runs on the HTTP loop threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_server.h"
#include "registry/registry.h"

namespace wharf::registry {

class Distribution {
 public:
  // Whether the access key a credential was issued to may make this request: null when it
  // may, else the message of the DENIED answer (403). `request` says where the connection came
  // from (a VPC endpoint's DNAT: its original destination). Called on the HTTP loop threads.
  using Authorize = std::function<std::optional<std::string>(std::string_view access_key_id, std::string_view method,
                                                             std::string_view path, const net::Incoming& request)>;

  explicit Distribution(Registry& registry) : registry_(registry) {}
  // Set before the server starts; without it every credential may do everything.
  void SetAuthorize(Authorize authorize) { authorize_ = std::move(authorize); }

  // Whether the HTTP layer should stream this request's body to a file.
  static bool WantsSpooledBody(const net::RequestHeader& header);
  // Whether the request carries valid registry credentials (Basic AWS:<password>).
  bool Authorized(const net::RequestHeader& header) const;
  // Whether this registry issued the request's credential: the Basic password, or the
  // X-Wharf-Token of a layer download link (each region's registry signs its own).
  bool Accepts(const net::RequestHeader& header) const;
  void Handle(net::Incoming&& in, const net::Responder& respond);

  struct Route;  // a parsed /v2/ path

 private:
  // The access key the request's credential was issued to.
  std::optional<std::string> KeyOf(const net::RequestHeader& header) const;
  net::Reply Dispatch(net::Incoming& in, const Route& route);
  net::Reply Manifest(net::Incoming& in, const Route& route);
  net::Reply Blob(net::Incoming& in, const Route& route);
  net::Reply Upload(net::Incoming& in, const Route& route);
  net::Reply TagsList(const Route& route);
  net::Reply Catalog(const Route& route);
  net::Reply Referrers(const Route& route);

  Registry& registry_;
  Authorize authorize_;
};

}  // namespace wharf::registry
