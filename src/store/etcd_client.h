// EtcdClient: calls to etcd 3.4's v3 JSON gateway (grpc-gateway) over HTTP/1.1, shared by
// the etcd Store backend and LeaderLease. Internal to src/store.
//
// The gateway speaks the gRPC messages as JSON: bytes fields (keys, values) are base64,
// int64 fields are decimal strings, and fields at their zero value are omitted.
//
// Endpoints and failover: the client holds a list of endpoints and prefers one at a time.
// When the preferred endpoint cannot be reached it moves on to the next. A request that
// failed after it may have reached etcd is retried elsewhere only when it is idempotent
// (reads, lease keep-alives), never a txn, which could apply twice.
//
// Errors: network failures and etcd's own refusals are Unavailable; "required revision has
// been compacted" is FailedPrecondition; an argument etcd rejects (too many txn ops, too
// large) is InvalidArgument; a response that is not the JSON expected is Internal.
//
// Thread-safety: Call may be made from any number of threads; each borrows a keep-alive
// connection from a small pool.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"
#include "base/mutex.h"
#include "base/status.h"
#include "net/http_client.h"

namespace wharf::store {

class EtcdClient {
 public:
  // `endpoints` is "host:port[,host:port...]".
  static Result<std::unique_ptr<EtcdClient>> Open(const std::string& endpoints,
                                                  net::HttpClientOptions options = {});

  // POSTs `request` to `path` ("/v3/kv/range") and returns the response object.
  Result<boost::json::object> Call(std::string_view path, const boost::json::object& request,
                                   bool idempotent);

  // A fresh, unconnected client for the preferred endpoint, for a long-lived stream.
  // `*endpoint` receives its index, to hand to EndpointFailed if it misbehaves.
  std::unique_ptr<net::HttpClient> NewStreamClient(size_t* endpoint);
  // Moves the preference off `endpoint` (if it is still the preferred one).
  void EndpointFailed(size_t endpoint);

  size_t endpoint_count() const { return endpoints_.size(); }

 private:
  struct Endpoint {
    std::string host;
    std::string port;
  };
  struct Pooled {
    size_t endpoint;
    std::unique_ptr<net::HttpClient> client;
  };
  static constexpr size_t kMaxIdle = 8;

  EtcdClient(std::vector<Endpoint> endpoints, net::HttpClientOptions options)
      : endpoints_(std::move(endpoints)), options_(options) {}
  Pooled Acquire() EXCLUDES(mu_);
  void Release(Pooled pooled) EXCLUDES(mu_);

  // Constant after construction.
  const std::vector<Endpoint> endpoints_;
  const net::HttpClientOptions options_;

  // Protected by mu_.
  Mutex mu_;
  size_t preferred_ GUARDED_BY(mu_) = 0;
  std::vector<Pooled> idle_ GUARDED_BY(mu_);
};

// Turns an etcd gateway error body ({"error","message","code"}) or a stream's error
// object into a Status, per the classes above.
Status EtcdError(const boost::json::value& body, int http_status);

// Parses a JSON object (a response body or one line of a stream).
Result<boost::json::object> ParseJsonObject(std::string_view text);

using wharf::Base64Encode;  // base/crypto.h

// An int64 field as the gateway sends it (a string, or a number); absent means 0.
Result<int64_t> JsonInt64(const boost::json::object& obj, std::string_view field);
// A base64 bytes field; absent means "".
Result<std::string> JsonBytes(const boost::json::object& obj, std::string_view field);
// A bool field; absent means false.
bool JsonBool(const boost::json::object& obj, std::string_view field);
// header.revision of a response.
Result<int64_t> HeaderRevision(const boost::json::object& response);

// The smallest key greater than every key starting with `prefix`, as etcd's range_end;
// "\0" (to the end of the key space) when there is none.
std::string PrefixEnd(std::string_view prefix);

}  // namespace wharf::store
