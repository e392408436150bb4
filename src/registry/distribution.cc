#include "registry/distribution.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>

#include "base/crypto.h"
#include "base/logging.h"
#include "base/percent.h"
#include "oci/manifest.h"
#include "model/keys.h"

namespace wharf::registry {
namespace http = boost::beast::http;
namespace json = boost::json;

struct Distribution::Route {
  enum class Kind { kBase, kCatalog, kTags, kManifest, kBlob, kUpload, kReferrers, kUnknown };
  Kind kind = Kind::kUnknown;
  std::string name;       // repository
  std::string reference;  // tag or digest, blob digest, upload uuid
  std::map<std::string, std::string> query;
};

namespace {

net::Response Answer(http::status status) {
  net::Response res{status, 11};
  res.set("Docker-Distribution-API-Version", "registry/2.0");
  return res;
}

// The OCI error format: {"errors":[{"code","message","detail"}]}.
net::Response Error(http::status status, std::string_view code, std::string message) {
  net::Response res = Answer(status);
  res.set(http::field::content_type, "application/json");
  res.body() = json::serialize(json::object{
      {"errors", json::array{json::object{{"code", code}, {"message", message}, {"detail", nullptr}}}}});
  return res;
}

net::Response NameUnknown(const Registry& registry, const std::string& name) {
  return Error(http::status::not_found, "NAME_UNKNOWN",
               "The repository with name '" + name + "' does not exist in the registry with id '" +
                   registry.options().account_id + "'");
}

// KMS refused a repository's key: docker and skopeo print "denied: <message>".
net::Response KmsDenied(const Status& status) {
  return Error(http::status::forbidden, "DENIED", "The repository's KMS key cannot be used: " + status.message());
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 256 || name.front() == '/' || name.back() == '/') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/')) {
      return false;
    }
  }
  return true;
}

// Splits "/v2/<name>/<kind>/<ref>" from the right, since names may hold slashes.
Distribution::Route ParseRoute(std::string_view target) {
  Distribution::Route route;
  size_t q = target.find('?');
  std::string path = PercentDecode(target.substr(0, q), false);
  if (q != std::string_view::npos) {
    for (auto [k, v] : SplitParams(target.substr(q + 1))) {
      route.query[PercentDecode(k, true)] = PercentDecode(v, true);
    }
  }
  using K = Distribution::Route::Kind;
  if (path == "/v2/" || path == "/v2") {
    route.kind = K::kBase;
    return route;
  }
  std::string_view rest = std::string_view(path).substr(4);
  if (rest == "_catalog") {
    route.kind = K::kCatalog;
    return route;
  }
  auto split = [&](std::string_view marker, K kind) {
    size_t at = rest.rfind(marker);
    if (at == std::string_view::npos || at == 0) return false;
    route.kind = kind;
    route.name = std::string(rest.substr(0, at));
    route.reference = std::string(rest.substr(at + marker.size()));
    return true;
  };
  if (rest.size() > 10 && rest.substr(rest.size() - 10) == "/tags/list") {
    route.kind = K::kTags;
    route.name = std::string(rest.substr(0, rest.size() - 10));
  } else if (split("/blobs/uploads/", K::kUpload) || split("/blobs/uploads", K::kUpload) ||
             split("/manifests/", K::kManifest) || split("/blobs/", K::kBlob) ||
             split("/referrers/", K::kReferrers)) {
  }
  if (route.kind != K::kUnknown && !ValidName(route.name)) route.kind = K::kUnknown;
  return route;
}

std::string UploadLocation(const std::string& name, const std::string& uuid) {
  return "/v2/" + name + "/blobs/uploads/" + uuid;
}

net::Response UploadProgress(http::status status, const std::string& name, const std::string& uuid,
                             int64_t size) {
  net::Response res = Answer(status);
  res.set(http::field::location, UploadLocation(name, uuid));
  res.set(http::field::range, "0-" + std::to_string(size > 0 ? size - 1 : 0));
  res.set("Docker-Upload-UUID", uuid);
  res.content_length(0);
  return res;
}

// A non-negative decimal, or -1.
int64_t ToOffset(std::string_view text) {
  if (text.empty() || text.size() > 18) return -1;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

// "bytes=0-99" -> [0, 99]; the end may be open, or a suffix length given.
bool ParseRange(std::string_view header, int64_t size, int64_t& first, int64_t& last) {
  if (header.substr(0, 6) != "bytes=") return false;
  header.remove_prefix(6);
  size_t dash = header.find('-');
  if (dash == std::string_view::npos) return false;
  int64_t a = ToOffset(header.substr(0, dash)), b = ToOffset(header.substr(dash + 1));
  if (header.substr(0, dash).empty()) {
    if (b < 0) return false;
    first = std::max<int64_t>(0, size - b);
    last = size - 1;
  } else {
    if (a < 0 || (b < 0 && dash + 1 != header.size())) return false;
    first = a;
    last = b < 0 ? size - 1 : std::min<int64_t>(b, size - 1);
  }
  return first <= last && first < size;
}

}  // namespace

bool Distribution::WantsSpooledBody(const net::RequestHeader& header) {
  std::string_view target = header.target();
  if (target.substr(0, 4) != "/v2/") return false;
  auto m = header.method();
  return (m == http::verb::patch || m == http::verb::put || m == http::verb::post) &&
         target.find("/blobs/uploads") != std::string_view::npos;
}

bool Distribution::Authorized(const net::RequestHeader& header) const {
  // ECR's registry login: user "AWS", password from GetAuthorizationToken.
  auto auth = header.find(http::field::authorization);
  if (auth == header.end() || auth->value().substr(0, 6) != "Basic ") return false;
  auto decoded = Base64Decode(auth->value().substr(6));
  return decoded && decoded->substr(0, 4) == "AWS:" && registry_.CheckPassword(decoded->substr(4)).has_value();
}

std::optional<std::string> Distribution::KeyOf(const net::RequestHeader& header) const {
  auto auth = header.find(http::field::authorization);
  if (auth != header.end() && auth->value().substr(0, 6) == "Basic ") {
    auto decoded = Base64Decode(auth->value().substr(6));
    if (decoded && decoded->substr(0, 4) == "AWS:") {
      if (auto key = registry_.CheckPassword(decoded->substr(4))) return key;
    }
  }
  Route route = ParseRoute(header.target());
  auto token = route.query.find("X-Wharf-Token");
  // GetDownloadUrlForLayer's links carry their credential, as ECR's presigned URLs do.
  if (token == route.query.end() || route.kind != Route::Kind::kBlob) return std::nullopt;
  return registry_.CheckPassword(token->second);
}

bool Distribution::Accepts(const net::RequestHeader& header) const { return KeyOf(header).has_value(); }

void Distribution::Handle(net::Incoming&& in, const net::Responder& respond) {
  Route route = ParseRoute(in.message.target());
  auto key = KeyOf(in.message.base());
  if (!key) {
    net::Response res = Error(http::status::unauthorized, "UNAUTHORIZED", "authentication required");
    res.set(http::field::www_authenticate,
            "Basic realm=\"http://" + registry_.options().host + "/\",service=\"ecr.amazonaws.com\"");
    return respond(std::move(res));
  }
  if (authorize_) {
    std::string_view target = in.message.target();
    if (auto denied = authorize_(*key, in.message.method_string(), target.substr(0, target.find('?')), in)) {
      // docker prints it as "denied: <message>", as it does ECR's.
      net::Response res = Error(http::status::forbidden, "DENIED", *denied);
      res.keep_alive(in.message.keep_alive());
      return respond(std::move(res));
    }
  }
  net::Reply reply = Dispatch(in, route);
  reply.response.keep_alive(in.message.keep_alive());
  LOG_DEBUG("registry method={} target={} status={}", std::string(in.message.method_string()),
            std::string(in.message.target()), reply.response.result_int());
  respond(std::move(reply));
}

net::Reply Distribution::Dispatch(net::Incoming& in, const Route& route) {
  using K = Route::Kind;
  if (route.kind == K::kBase) {
    net::Response res = Answer(http::status::ok);
    res.set(http::field::content_type, "application/json");
    res.body() = "{}";
    return res;
  }
  if (route.kind == K::kCatalog) return Catalog(route);
  if (route.kind == K::kUnknown) {
    return Error(http::status::not_found, "NAME_INVALID", "invalid repository name or path");
  }
  auto repository = registry_.Repository(route.name);
  if (!repository.ok()) {
    return Error(http::status::service_unavailable, "UNAVAILABLE", repository.status().message());
  }
  if (!*repository) return NameUnknown(registry_, route.name);
  switch (route.kind) {
    case K::kTags: return TagsList(route);
    case K::kManifest: return Manifest(in, route);
    case K::kBlob: return Blob(in, route);
    case K::kUpload: return Upload(in, route);
    case K::kReferrers: return Referrers(route);
    default: return Error(http::status::not_found, "UNSUPPORTED", "unsupported");
  }
}

net::Reply Distribution::Manifest(net::Incoming& in, const Route& route) {
  const auto method = in.message.method();
  if (method == http::verb::put) {
    auto content_type = in.message[http::field::content_type];
    auto put = registry_.PutManifest(route.name, route.reference, in.message.body(), content_type);
    if (auto* st = std::get_if<Status>(&put)) {
      if (st->IsFailedPrecondition()) return KmsDenied(*st);
      return Error(http::status::service_unavailable, "UNAVAILABLE", st->message());
    }
    if (auto* f = std::get_if<Failure>(&put)) {
      switch (f->error) {
        case RegistryError::kRepositoryNotFound: return NameUnknown(registry_, route.name);
        case RegistryError::kBlobUnknown:
          return Error(http::status::bad_request, "MANIFEST_BLOB_UNKNOWN", f->message);
        case RegistryError::kDigestInvalid: return Error(http::status::bad_request, "DIGEST_INVALID", f->message);
        case RegistryError::kTagImmutable:
        case RegistryError::kTagInvalid: return Error(http::status::bad_request, "TAG_INVALID", f->message);
        default: return Error(http::status::bad_request, "MANIFEST_INVALID", f->message);
      }
    }
    const std::string& digest = std::get<std::string>(put);
    net::Response res = Answer(http::status::created);
    res.set(http::field::location, "/v2/" + route.name + "/manifests/" + digest);
    res.set("Docker-Content-Digest", digest);
    auto parsed = oci::ParseManifest(in.message.body(), content_type);
    if (parsed.ok() && parsed->subject) res.set("OCI-Subject", parsed->subject->digest);
    res.content_length(0);
    return res;
  }
  if (method == http::verb::delete_) {
    auto removed = oci::IsDigest(route.reference) ? registry_.DeleteImage(route.name, route.reference)
                                                  : registry_.Untag(route.name, route.reference);
    if (auto* st = std::get_if<Status>(&removed)) {
      return Error(http::status::service_unavailable, "UNAVAILABLE", st->message());
    }
    if (std::holds_alternative<Failure>(removed)) {
      return Error(http::status::not_found, "MANIFEST_UNKNOWN", "manifest unknown");
    }
    net::Response res = Answer(http::status::accepted);
    res.content_length(0);
    return res;
  }
  if (method != http::verb::get && method != http::verb::head) {
    return Error(http::status::method_not_allowed, "UNSUPPORTED", "method not allowed");
  }
  auto image = registry_.Resolve(route.name, route.reference);
  if (auto* st = std::get_if<Status>(&image)) {
    if (st->IsFailedPrecondition()) return KmsDenied(*st);
    return Error(http::status::service_unavailable, "UNAVAILABLE", st->message());
  }
  if (std::holds_alternative<Failure>(image)) {
    return Error(http::status::not_found, "MANIFEST_UNKNOWN",
                 "Requested image not found");
  }
  const ImageRecord& r = std::get<ImageRecord>(image);
  net::Response res = Answer(http::status::ok);
  res.set(http::field::content_type, r.media_type);
  res.set("Docker-Content-Digest", r.digest);
  res.set(http::field::etag, "\"" + r.digest + "\"");
  if (method == http::verb::head) {
    res.content_length(r.manifest.size());
  } else {
    res.body() = r.manifest;
  }
  return res;
}

net::Reply Distribution::Blob(net::Incoming& in, const Route& route) {
  const auto method = in.message.method();
  if (!oci::IsDigest(route.reference)) {
    return Error(http::status::bad_request, "DIGEST_INVALID", "invalid digest");
  }
  if (method == http::verb::delete_) {
    if (!registry_.BlobInRepository(route.name, route.reference)) {
      return Error(http::status::not_found, "BLOB_UNKNOWN", "blob unknown to registry");
    }
    Status st = registry_.UnlinkBlob(route.name, route.reference);
    if (!st.ok()) return Error(http::status::service_unavailable, "UNAVAILABLE", st.message());
    net::Response res = Answer(http::status::accepted);
    res.content_length(0);
    return res;
  }
  if (method != http::verb::get && method != http::verb::head) {
    return Error(http::status::method_not_allowed, "UNSUPPORTED", "method not allowed");
  }
  auto size = registry_.BlobSize(route.name, route.reference);
  if (!size) return Error(http::status::not_found, "BLOB_UNKNOWN", "blob unknown to registry");
  auto sealing = registry_.SealingOf(route.name);
  if (!sealing.ok()) return Error(http::status::service_unavailable, "UNAVAILABLE", sealing.status().message());
  std::string data_key;
  if (*sealing && method == http::verb::get) {  // the key is asked for the bytes, not their size
    auto key = registry_.DataKey(**sealing);
    if (!key.ok()) return KmsDenied(key.status());
    data_key = std::move(*key);
  }
  net::Response res = Answer(http::status::ok);
  res.set(http::field::content_type, "application/octet-stream");
  res.set("Docker-Content-Digest", route.reference);
  res.set(http::field::accept_ranges, "bytes");
  res.set(http::field::etag, "\"" + route.reference + "\"");
  int64_t first = 0, last = *size - 1;
  auto range = in.message.find(http::field::range);
  if (range != in.message.end()) {
    if (!ParseRange(range->value(), *size, first, last)) {
      net::Response bad = Error(http::status::range_not_satisfiable, "BLOB_UNKNOWN", "invalid range");
      bad.set(http::field::content_range, "bytes */" + std::to_string(*size));
      return bad;
    }
    res.result(http::status::partial_content);
    res.set(http::field::content_range,
            "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(*size));
  }
  const int64_t length = last - first + 1;
  if (method == http::verb::head) {
    res.content_length(range != in.message.end() ? length : *size);
    return res;
  }
  if (*sealing) {  // decrypted chunk by chunk as it is sent
    auto source = registry_.blobs().OpenSealed((*sealing)->ns, route.reference, data_key, first, length);
    if (!source.ok()) return Error(http::status::not_found, "BLOB_UNKNOWN", "blob unknown to registry");
    net::Reply reply(std::move(res));
    reply.source = std::move(*source);
    reply.length = static_cast<uint64_t>(length);
    return reply;
  }
  net::Reply reply(std::move(res));  // straight from the file (sendfile)
  reply.file = registry_.blobs().PathOf(route.reference);
  if (range != in.message.end()) {
    reply.offset = static_cast<uint64_t>(first);
    reply.length = static_cast<uint64_t>(length);
  }
  return reply;
}

net::Reply Distribution::Upload(net::Incoming& in, const Route& route) {
  BlobStore& blobs = registry_.blobs();
  const auto method = in.message.method();
  auto append_body = [&](const std::string& uuid) -> Status {
    return registry_.AppendUpload(route.name, uuid, in.body_file, in.message.body());
  };
  auto append_failed = [&](const Status& st) -> net::Reply {
    if (st.IsFailedPrecondition()) return KmsDenied(st);
    if (st.IsNotFound()) return Error(http::status::not_found, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");
    return Error(http::status::service_unavailable, "UNAVAILABLE", st.message());
  };
  auto finish = [&](const std::string& uuid, const std::string& digest) -> net::Reply {
    Status st = registry_.CommitUpload(route.name, uuid, digest);
    if (st.IsInvalidArgument()) return Error(http::status::bad_request, "DIGEST_INVALID", st.message());
    if (st.IsFailedPrecondition()) return KmsDenied(st);
    if (!st.ok()) return Error(http::status::service_unavailable, "UNAVAILABLE", st.message());
    net::Response res = Answer(http::status::created);
    res.set(http::field::location, "/v2/" + route.name + "/blobs/" + digest);
    res.set("Docker-Content-Digest", digest);
    res.content_length(0);
    return res;
  };
  auto query = [&](const char* key) {
    auto it = route.query.find(key);
    return it == route.query.end() ? std::string() : it->second;
  };

  if (method == http::verb::post && route.reference.empty()) {
    std::string mount = query("mount"), from = query("from");
    // A blob of a repository encrypted with KMS is not shared: the client uploads it again.
    if (!mount.empty() && oci::IsDigest(mount) && !from.empty() && registry_.BlobInRepository(from, mount) &&
        registry_.CanMount(from, route.name)) {
      Status st = registry_.LinkBlob(route.name, mount);
      if (!st.ok()) return Error(http::status::service_unavailable, "UNAVAILABLE", st.message());
      net::Response res = Answer(http::status::created);
      res.set(http::field::location, "/v2/" + route.name + "/blobs/" + mount);
      res.set("Docker-Content-Digest", mount);
      res.content_length(0);
      return res;
    }
    // A repository whose KMS key refuses takes no uploads (ECR's InitiateLayerUpload fails alike);
    // one encrypted with KMS seals its uploads as they arrive.
    auto uuid = registry_.StartUpload(route.name);
    if (!uuid.ok()) {
      if (uuid.status().IsFailedPrecondition()) return KmsDenied(uuid.status());
      return Error(http::status::service_unavailable, "UNAVAILABLE", uuid.status().message());
    }
    std::string digest = query("digest");
    if (!digest.empty()) {  // monolithic: POST with the whole blob
      Status st = append_body(*uuid);
      if (!st.ok()) return append_failed(st);
      return finish(*uuid, digest);
    }
    return UploadProgress(http::status::accepted, route.name, *uuid, 0);
  }

  const std::string& uuid = route.reference;
  auto size = blobs.UploadSize(uuid);
  if (!size.ok()) return Error(http::status::not_found, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");
  if (method == http::verb::get) return UploadProgress(http::status::no_content, route.name, uuid, *size);
  if (method == http::verb::delete_) {
    blobs.CancelUpload(uuid);
    net::Response res = Answer(http::status::no_content);
    return res;
  }
  if (method == http::verb::patch) {
    auto content_range = in.message.find(http::field::content_range);
    if (content_range != in.message.end()) {
      std::string_view cr = content_range->value();
      if (cr.substr(0, 6) == "bytes ") cr.remove_prefix(6);
      int64_t start = ToOffset(cr.substr(0, cr.find('-')));
      if (start != *size) {
        net::Response res = Error(http::status::range_not_satisfiable, "BLOB_UPLOAD_INVALID",
                                  "content range does not continue the upload");
        res.set(http::field::location, UploadLocation(route.name, uuid));
        res.set(http::field::range, "0-" + std::to_string(*size > 0 ? *size - 1 : 0));
        return res;
      }
    }
    Status st = append_body(uuid);
    if (!st.ok()) return append_failed(st);
    auto now = blobs.UploadSize(uuid);
    return UploadProgress(http::status::accepted, route.name, uuid, now.ok() ? *now : 0);
  }
  if (method == http::verb::put) {
    std::string digest = query("digest");
    if (!oci::IsDigest(digest)) {
      blobs.CancelUpload(uuid);
      return Error(http::status::bad_request, "DIGEST_INVALID", "invalid or missing digest");
    }
    Status st = append_body(uuid);
    if (!st.ok()) return append_failed(st);
    return finish(uuid, digest);
  }
  return Error(http::status::method_not_allowed, "UNSUPPORTED", "method not allowed");
}

namespace {

// n/last pagination over a sorted list; sets the Link header when more follow.
json::array Paginate(const std::vector<std::string>& sorted, const std::map<std::string, std::string>& query,
                     const std::string& link_base, net::Response& res) {
  size_t n = sorted.size();
  if (auto it = query.find("n"); it != query.end() && !it->second.empty()) {
    n = static_cast<size_t>(std::max<long long>(0, std::atoll(it->second.c_str())));
  }
  std::string last;
  if (auto it = query.find("last"); it != query.end()) last = it->second;
  json::array out;
  std::string final_item;
  bool more = false;
  for (const auto& item : sorted) {
    if (!last.empty() && item <= last) continue;
    if (out.size() == n) {
      more = true;
      break;
    }
    out.push_back(json::value(item));
    final_item = item;
  }
  if (more) {
    res.set(http::field::link, "<" + link_base + "?n=" + std::to_string(n) + "&last=" +
                                   PercentEncode(final_item, false) + ">; rel=\"next\"");
  }
  return out;
}

}  // namespace

net::Reply Distribution::TagsList(const Route& route) {
  auto tags = registry_.Tags(route.name);
  if (!tags.ok()) return Error(http::status::service_unavailable, "UNAVAILABLE", tags.status().message());
  net::Response res = Answer(http::status::ok);
  res.set(http::field::content_type, "application/json");
  json::array page = Paginate(*tags, route.query, "/v2/" + route.name + "/tags/list", res);
  res.body() = json::serialize(json::object{{"name", route.name}, {"tags", std::move(page)}});
  return res;
}

net::Reply Distribution::Catalog(const Route& route) {
  auto page = registry_.store().List(model::keys::kRepositories, "", 0);
  if (!page.ok()) return Error(http::status::service_unavailable, "UNAVAILABLE", page.status().message());
  std::vector<std::string> names;
  for (const auto& kv : page->items) {
    names.push_back(model::keys::RepositoryNameOfKey(kv.key));
  }
  std::sort(names.begin(), names.end());
  net::Response res = Answer(http::status::ok);
  res.set(http::field::content_type, "application/json");
  json::array list = Paginate(names, route.query, "/v2/_catalog", res);
  res.body() = json::serialize(json::object{{"repositories", std::move(list)}});
  return res;
}

net::Reply Distribution::Referrers(const Route& route) {
  if (!oci::IsDigest(route.reference)) return Error(http::status::bad_request, "DIGEST_INVALID", "invalid digest");
  auto images = registry_.Images(route.name);
  if (!images.ok()) return Error(http::status::service_unavailable, "UNAVAILABLE", images.status().message());
  std::erase_if(*images, [&](const ImageRecord& r) { return r.subject != route.reference; });
  if (Status st = registry_.OpenManifests(route.name, *images); !st.ok()) {
    if (st.IsFailedPrecondition()) return KmsDenied(st);
    return Error(http::status::service_unavailable, "UNAVAILABLE", st.message());
  }
  std::string wanted;
  if (auto it = route.query.find("artifactType"); it != route.query.end()) wanted = it->second;
  json::array manifests;
  for (const auto& r : *images) {
    if (r.subject != route.reference) continue;
    if (!wanted.empty() && r.artifact_type != wanted) continue;
    json::object entry{{"mediaType", r.media_type}, {"digest", r.digest},
                       {"size", static_cast<int64_t>(r.manifest.size())}};
    if (!r.artifact_type.empty()) entry["artifactType"] = r.artifact_type;
    boost::system::error_code ec;
    json::value doc = json::parse(r.manifest, ec);
    if (!ec && doc.is_object()) {
      if (auto* a = doc.get_object().if_contains("annotations")) entry["annotations"] = *a;
    }
    manifests.push_back(std::move(entry));
  }
  net::Response res = Answer(http::status::ok);
  res.set(http::field::content_type, oci::kOciIndex);
  if (!wanted.empty()) res.set("OCI-Filters-Applied", "artifactType");
  res.body() = json::serialize(json::object{
      {"schemaVersion", 2}, {"mediaType", oci::kOciIndex}, {"manifests", std::move(manifests)}});
  return res;
}

}  // namespace wharf::registry
