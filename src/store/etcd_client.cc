#include "store/etcd_client.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <exception>

namespace wharf::store {

namespace json = boost::json;

Result<std::unique_ptr<EtcdClient>> EtcdClient::Open(const std::string& endpoints,
                                                     net::HttpClientOptions options) {
  std::vector<Endpoint> parsed;
  std::string_view rest = endpoints;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.substr(0, 7) == "http://") item.remove_prefix(7);
    if (item.empty()) continue;
    Endpoint e;
    if (!net::SplitHostPort(item, &e.host, &e.port)) {
      return Status::InvalidArgument("etcd endpoint '" + std::string(item) + "' is not host:port");
    }
    parsed.push_back(std::move(e));
  }
  if (parsed.empty()) return Status::InvalidArgument("no etcd endpoints in '" + endpoints + "'");
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(parsed), options));
}

EtcdClient::Pooled EtcdClient::Acquire() {
  MutexLock lock(mu_);
  for (size_t i = idle_.size(); i-- > 0;) {
    if (idle_[i].endpoint == preferred_) {
      Pooled p = std::move(idle_[i]);
      idle_.erase(idle_.begin() + static_cast<ptrdiff_t>(i));
      return p;
    }
  }
  const Endpoint& e = endpoints_[preferred_];
  return Pooled{preferred_, std::make_unique<net::HttpClient>(e.host, e.port, options_)};
}

void EtcdClient::Release(Pooled pooled) {
  MutexLock lock(mu_);
  if (pooled.endpoint == preferred_ && idle_.size() < kMaxIdle) idle_.push_back(std::move(pooled));
}

void EtcdClient::EndpointFailed(size_t endpoint) {
  MutexLock lock(mu_);
  if (endpoint != preferred_) return;  // another thread already moved on
  preferred_ = (preferred_ + 1) % endpoints_.size();
  std::erase_if(idle_, [endpoint](const Pooled& p) { return p.endpoint == endpoint; });
}

std::unique_ptr<net::HttpClient> EtcdClient::NewStreamClient(size_t* endpoint) {
  MutexLock lock(mu_);
  *endpoint = preferred_;
  const Endpoint& e = endpoints_[preferred_];
  return std::make_unique<net::HttpClient>(e.host, e.port, options_);
}

Result<json::object> EtcdClient::Call(std::string_view path, const json::object& request,
                                      bool idempotent) {
  try {
    net::HttpRequest http_request;
    http_request.method = "POST";
    http_request.target = std::string(path);
    http_request.headers = {{"Content-Type", "application/json"}};
    http_request.body = json::serialize(request);

    Status last = Status::Unavailable("no etcd endpoint answered");
    // Each endpoint gets one chance per call.
    for (size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
      Pooled conn = Acquire();
      const std::string where = conn.client->host() + ":" + conn.client->port();
      if (Status s = conn.client->Connect(); !s.ok()) {
        // Never sent: safe to try the next endpoint whatever the request.
        EndpointFailed(conn.endpoint);
        last = s.WithContext("etcd");
        continue;
      }
      auto response = conn.client->Send(http_request);
      if (!response.ok()) {
        EndpointFailed(conn.endpoint);
        last = response.status().WithContext("etcd");
        if (idempotent && last.IsUnavailable()) continue;
        return last;
      }
      const size_t endpoint = conn.endpoint;
      Release(std::move(conn));
      auto body = ParseJsonObject(response->body);
      if (response->status != 200) {
        Status s = body.ok() ? EtcdError(*body, response->status)
                             : Status::Unavailable("etcd at " + where + " answered HTTP " +
                                                   std::to_string(response->status));
        if (idempotent && s.IsUnavailable()) {
          EndpointFailed(endpoint);
          last = s;
          continue;
        }
        return s;
      }
      if (!body.ok()) return body.status().WithContext("etcd " + std::string(path));
      return std::move(body).value();
    }
    return last;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("etcd call: ") + e.what());
  }
}

Status EtcdError(const json::value& body, int http_status) {
  std::string message = "HTTP " + std::to_string(http_status);
  int64_t code = 0;
  if (const json::object* o = body.if_object()) {
    for (const char* field : {"message", "error"}) {
      const json::value* m = o->if_contains(field);
      if (m != nullptr && m->is_string()) {
        message = std::string(m->get_string());
        break;
      }
    }
    for (const char* field : {"code", "grpc_code"}) {
      const json::value* c = o->if_contains(field);
      if (c != nullptr && c->is_int64()) code = c->get_int64();
    }
  }
  if (message.find("compacted") != std::string::npos) {
    return Status::FailedPrecondition("etcd: " + message);
  }
  // A request etcd cannot serve as asked (too many ops, a future revision): no other
  // endpoint would do better.
  constexpr int64_t kGrpcInvalidArgument = 3;
  constexpr int64_t kGrpcOutOfRange = 11;
  if (code == kGrpcInvalidArgument || code == kGrpcOutOfRange) {
    return Status::InvalidArgument("etcd: " + message);
  }
  return Status::Unavailable("etcd: " + message);
}

Result<json::object> ParseJsonObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Status::Internal("malformed JSON from etcd: " + ec.message());
  if (!v.is_object()) return Status::Internal("etcd sent JSON that is not an object");
  return std::move(v.get_object());
}

Result<int64_t> JsonInt64(const json::object& obj, std::string_view field) {
  const json::value* v = obj.if_contains(field);
  if (v == nullptr || v->is_null()) return int64_t{0};
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  if (v->is_string()) {
    std::string_view s = v->get_string();
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
  }
  return Status::Internal("etcd field '" + std::string(field) + "' is not an integer");
}

Result<std::string> JsonBytes(const json::object& obj, std::string_view field) {
  const json::value* v = obj.if_contains(field);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) {
    return Status::Internal("etcd field '" + std::string(field) + "' is not a string");
  }
  auto bytes = wharf::Base64Decode(v->get_string());
  if (!bytes) return Status::Internal("malformed base64 in etcd field '" + std::string(field) + "'");
  return std::move(*bytes);
}

bool JsonBool(const json::object& obj, std::string_view field) {
  const json::value* v = obj.if_contains(field);
  return v != nullptr && v->is_bool() && v->get_bool();
}

Result<int64_t> HeaderRevision(const json::object& response) {
  const json::value* h = response.if_contains("header");
  if (h == nullptr || !h->is_object()) return Status::Internal("etcd response has no header");
  return JsonInt64(h->get_object(), "revision");
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

}  // namespace wharf::store
