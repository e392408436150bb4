#include "agent/image/registry_client.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "base/crypto.h"
#include "base/logging.h"
#include "base/percent.h"
#include "oci/manifest.h"

namespace wharf::agent {
namespace json = boost::json;
namespace {

constexpr int kMaxHops = 6;

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// `Bearer realm="https://a/token",service="reg",scope="repository:x:pull"` -> scheme and
// lowercase-keyed parameters. Values may be quoted and contain commas.
std::string ParseChallenge(std::string_view header, std::map<std::string, std::string>* params) {
  size_t space = header.find(' ');
  std::string scheme(header.substr(0, space));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (space == std::string_view::npos) return scheme;
  std::string_view rest = header.substr(space + 1);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == ',')) ++i;
    size_t eq = rest.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(rest.substr(i, eq - i));
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value;
    i = eq + 1;
    if (i < rest.size() && rest[i] == '"') {
      ++i;
      while (i < rest.size() && rest[i] != '"') {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i++];
      }
      ++i;
    } else {
      size_t end = rest.find(',', i);
      if (end == std::string_view::npos) end = rest.size();
      value = std::string(rest.substr(i, end - i));
      i = end;
    }
    (*params)[key] = value;
  }
  return scheme;
}

// The registry's "errors" array as "CODE: message; ...", else the raw body (trimmed).
std::string RegistryErrors(const std::string& body) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  std::string out;
  if (!ec && doc.is_object()) {
    if (auto* errors = doc.get_object().if_contains("errors"); errors && errors->is_array()) {
      for (const auto& e : errors->get_array()) {
        if (!e.is_object()) continue;
        auto* message = e.get_object().if_contains("message");
        if (!out.empty()) out += "; ";
        out += message && message->is_string() ? std::string(message->get_string()) : "error";
      }
    }
  }
  if (out.empty()) out = body.substr(0, 200);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

RegistryClient::RegistryClient(ImageReference reference, RegistryEndpoint endpoint,
                               std::optional<RegistryCredentials> credentials)
    : reference_(std::move(reference)),
      endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)) {}

RegistryClient::~RegistryClient() = default;

net::HttpClient& RegistryClient::ClientFor(const std::string& host, const std::string& port) {
  auto& client = clients_[host + ":" + port];
  if (!client) {
    net::HttpClientOptions options;
    options.request_timeout = std::chrono::seconds(120);
    options.max_body_bytes = 16 << 20;  // manifests, configs, tokens, error bodies
    options.netns_path = endpoint_.netns_path;
    options.connect_timeout = endpoint_.connect_timeout;
    client = std::make_unique<net::HttpClient>(host, port, options);
  }
  return *client;
}

Result<RegistryClient::Url> RegistryClient::ParseUrl(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (url.rfind(kHttp, 0) != 0) {
    return Status::Unavailable("only http registries are supported, not '" + std::string(url) +
                               "'");
  }
  std::string_view rest = url.substr(kHttp.size());
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  Url out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.target.empty() && out.target.front() == '?') out.target = "/" + out.target;
  if (!net::SplitHostPort(authority, &out.host, &out.port)) {
    out.host = std::string(authority);
    out.port = "80";
  }
  return out;
}

Result<net::HttpResponse> RegistryClient::Fetch(const std::string& target,
                                                const std::string& accept, bool stream,
                                                net::HttpClient** stream_client) {
  std::string host = endpoint_.host, port = endpoint_.port, path = target;
  bool authenticated = false;
  for (int hop = 0; hop < kMaxHops; ++hop) {
    const bool to_registry = host == endpoint_.host && port == endpoint_.port;
    net::HttpRequest request;
    request.target = path;
    if (!accept.empty()) request.headers.emplace_back("Accept", accept);
    if (to_registry && !authorization_.empty()) {
      request.headers.emplace_back("Authorization", authorization_);
    }
    request.headers.emplace_back("User-Agent", "wharf-agent");
    net::HttpClient& client = ClientFor(host, port);
    ++requests_sent_;
    auto response = stream ? client.StartStream(request) : client.Send(request);
    if (!response.ok()) {
      return response.status().WithContext("registry " + reference_.registry);
    }
    if (response->status == 401 && to_registry && !authenticated) {
      RETURN_IF_ERROR(Authenticate(*response));
      authenticated = true;
      continue;
    }
    if (IsRedirect(response->status)) {
      std::string location(response->Header("Location"));
      if (location.empty()) return Status::Internal("redirect without Location");
      if (location.front() == '/') {
        path = location;
      } else {
        ASSIGN_OR_RETURN(Url url, ParseUrl(location));
        host = url.host;
        port = url.port;
        path = url.target;
      }
      continue;
    }
    if (stream && stream_client) *stream_client = &client;
    return response;
  }
  return Status::Internal("too many redirects fetching " + target);
}

Status RegistryClient::Authenticate(const net::HttpResponse& challenge) {
  std::map<std::string, std::string> params;
  const std::string scheme = ParseChallenge(challenge.Header("WWW-Authenticate"), &params);
  const std::string denied = "pull access denied for " + reference_.registry + "/" +
                             reference_.repository +
                             ", repository does not exist or may require authorization";
  std::string basic;
  if (credentials_) {
    basic = "Basic " + Base64Encode(credentials_->username + ":" + credentials_->password);
  }
  if (scheme == "basic") {
    if (!credentials_) {
      return Status::FailedPrecondition(denied + ": " + RegistryErrors(challenge.body));
    }
    authorization_ = basic;
    return Status::OK();
  }
  if (scheme != "bearer" || params["realm"].empty()) {
    return Status::FailedPrecondition(denied + ": unsupported challenge '" +
                                      std::string(challenge.Header("WWW-Authenticate")) + "'");
  }
  ASSIGN_OR_RETURN(Url realm, ParseUrl(params["realm"]));
  std::string scope = params["scope"];
  if (scope.empty()) scope = "repository:" + reference_.repository + ":pull";
  std::string target = realm.target;
  target += target.find('?') == std::string::npos ? '?' : '&';
  if (!params["service"].empty()) target += "service=" + PercentEncode(params["service"], false) + "&";
  target += "scope=" + PercentEncode(scope, false);
  net::HttpRequest request;
  request.target = target;
  if (!basic.empty()) request.headers.emplace_back("Authorization", basic);
  ++requests_sent_;
  auto response = ClientFor(realm.host, realm.port).Send(request);
  if (!response.ok()) return response.status().WithContext("token service " + params["realm"]);
  if (response->status == 401 || response->status == 403) {
    return Status::FailedPrecondition(denied + ": " + RegistryErrors(response->body));
  }
  if (response->status / 100 != 2) {
    return Status::Unavailable("token service " + params["realm"] + " answered " +
                               std::to_string(response->status));
  }
  boost::system::error_code ec;
  json::value doc = json::parse(response->body, ec);
  if (!ec && doc.is_object()) {
    for (std::string_view key : {"token", "access_token"}) {
      auto* token = doc.get_object().if_contains(key);
      if (token && token->is_string() && !token->get_string().empty()) {
        authorization_ = "Bearer " + std::string(token->get_string());
        return Status::OK();
      }
    }
  }
  return Status::Internal("token service " + params["realm"] + " gave no token");
}

Status RegistryClient::ErrorFor(const net::HttpResponse& response, const std::string& what) const {
  const std::string errors = RegistryErrors(response.body);
  const std::string name = reference_.registry + "/" + reference_.repository;
  switch (response.status) {
    case 404:
      return Status::NotFound(what + " not found: " + errors);
    case 401:
    case 403:
      return Status::FailedPrecondition("pull access denied for " + name +
                                        ", repository does not exist or may require "
                                        "authorization: " + errors);
    case 429:
      return Status::Unavailable("toomanyrequests: " + errors);
    default:
      if (response.status >= 500) {
        return Status::Unavailable("registry " + reference_.registry + " answered " +
                                   std::to_string(response.status) + ": " + errors);
      }
      return Status::Internal("registry " + reference_.registry + " answered " +
                              std::to_string(response.status) + " for " + what + ": " + errors);
  }
}

Result<FetchedManifest> RegistryClient::GetManifest(const std::string& tag_or_digest) {
  static const std::string kAccept = std::string(oci::kOciIndex) + ", " +
                                     std::string(oci::kDockerManifestList) + ", " +
                                     std::string(oci::kOciManifest) + ", " +
                                     std::string(oci::kDockerManifest);
  ASSIGN_OR_RETURN(auto response,
                   Fetch("/v2/" + reference_.repository + "/manifests/" + tag_or_digest,
                         kAccept, false, nullptr));
  const std::string sep = tag_or_digest.rfind("sha256:", 0) == 0 ? "@" : ":";
  if (response.status != 200) {
    return ErrorFor(response, "manifest for " + reference_.registry + "/" +
                                  reference_.repository + sep + tag_or_digest);
  }
  FetchedManifest out;
  out.bytes = std::move(response.body);
  out.media_type = std::string(response.Header("Content-Type"));
  out.content_digest = std::string(response.Header("Docker-Content-Digest"));
  return out;
}

Status RegistryClient::GetBlob(const std::string& digest,
                               const std::function<Status(std::string_view)>& sink) {
  net::HttpClient* client = nullptr;
  ASSIGN_OR_RETURN(auto response, Fetch("/v2/" + reference_.repository + "/blobs/" + digest, "",
                                        true, &client));
  if (response.status != 200) return ErrorFor(response, "blob " + digest);
  for (;;) {
    ASSIGN_OR_RETURN(auto piece, client->ReadStream());
    if (!piece) return Status::OK();
    RETURN_IF_ERROR(sink(*piece));
  }
}

}  // namespace wharf::agent
