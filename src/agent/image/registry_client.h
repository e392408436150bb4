// RegistryClient: the pull side of the OCI distribution protocol, for one repository.
//
// Auth follows Docker: a request is first sent as it is (anonymous or with what the last
// challenge earned); on 401 the WWW-Authenticate challenge decides:
//   Basic  -> retry with the credentials, when there are any;
//   Bearer -> GET realm?service=..&scope=.. (with Basic credentials when given), take
//             "token" or "access_token" from the JSON answer, retry with "Bearer <token>".
// Redirects (blob storage elsewhere) are followed over http; the Authorization header is
// sent only to the registry itself.
//
// Errors: connection failures and 5xx/429 are Unavailable; 404 is NotFound with the
// registry's own words ("manifest unknown"); 401/403 after auth is FailedPrecondition
// ("pull access denied ..."); anything else unexpected is Internal.
// Thread-safety: one thread at a time (it holds HTTP connections and the auth token).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "agent/image/reference.h"
#include "base/status.h"
#include "net/http_client.h"

namespace wharf::agent {

struct RegistryCredentials {
  std::string username, password;
};

struct RegistryEndpoint {
  std::string scheme = "http";  // "http" only for now
  std::string host;
  std::string port;
  // When set, every connection (the registry's, its token service's, a redirect's) is made
  // from this network namespace (net/netns_socket.h): a Fargate task's pull goes where its
  // routes and nft tables send it. A dial that is dropped on the way fails after
  // connect_timeout, as containerd's does.
  std::string netns_path{};
  std::chrono::milliseconds connect_timeout{3000};
};

struct FetchedManifest {
  std::string bytes;
  std::string media_type;      // the response's Content-Type
  std::string content_digest;  // the Docker-Content-Digest header, "" when absent
};

class RegistryClient {
 public:
  RegistryClient(ImageReference reference, RegistryEndpoint endpoint,
                 std::optional<RegistryCredentials> credentials);
  ~RegistryClient();

  // GET /v2/<repository>/manifests/<tag or digest>, accepting the OCI and Docker manifest
  // and index types. The caller verifies the digest.
  Result<FetchedManifest> GetManifest(const std::string& tag_or_digest);
  // GET /v2/<repository>/blobs/<digest>, handing the body to `sink` piece by piece.
  Status GetBlob(const std::string& digest,
                 const std::function<Status(std::string_view)>& sink);

  int requests_sent() const { return requests_sent_; }

 private:
  struct Url {
    std::string host, port, target;
  };
  // Sends with auth and redirects handled; on success the response is 2xx. When `stream`,
  // the body is left on `*stream_client` to be read with ReadStream.
  Result<net::HttpResponse> Fetch(const std::string& target, const std::string& accept,
                                  bool stream, net::HttpClient** stream_client);
  Status Authenticate(const net::HttpResponse& challenge);
  Status ErrorFor(const net::HttpResponse& response, const std::string& what) const;
  net::HttpClient& ClientFor(const std::string& host, const std::string& port);
  static Result<Url> ParseUrl(std::string_view url);

  const ImageReference reference_;
  const RegistryEndpoint endpoint_;
  const std::optional<RegistryCredentials> credentials_;
  std::map<std::string, std::unique_ptr<net::HttpClient>> clients_;  // by host:port
  std::string authorization_;  // header value for the registry, "" while anonymous
  int requests_sent_ = 0;
};

}  // namespace wharf::agent
