// HttpClient: a small synchronous HTTP/1.1 client over one keep-alive connection.
//
// Lifecycle: made for one host:port. It connects on first use and keeps the connection
// open between requests. When a kept-alive connection turns out to have been closed by the
// server while it sat idle (the write fails, or the connection ends before any byte of the
// response), Send transparently retries once on a fresh connection: the server never saw
// the request, so this is safe even for POST. Any other failure closes the connection; the
// next call reconnects.
//
// Timeouts: connecting is bounded by connect_timeout; a Send (write and the whole response)
// by request_timeout. A stream bounds only its response head: a long-lived body (etcd's
// watch) may stay quiet for any time.
//
// Streaming: StartStream sends a request and returns the response head; ReadStream then
// hands out the body as it arrives. Chunked transfer encoding is undone. A stream owns the
// connection until it ends; it is not reused afterwards.
//
// Errors: connection failures, timeouts and unexpected ends are Unavailable; a response
// that is not valid HTTP or exceeds max_body_bytes is Internal. An HTTP error status is not
// an error here: the caller reads HttpResponse::status.
//
// Thread-safety: one thread at a time uses a client, except Cancel(), which any thread may
// call to abort the request or stream in progress and make every later call fail.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace wharf::net {

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // Host and Content-Length are set
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header named `name` (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{30000};
  size_t max_body_bytes = 64 << 20;  // for Send; streams are unbounded
  // When set, the connection's socket is made inside this network namespace
  // (net/netns_socket.h): its routes and firewall decide where it goes, not the caller's.
  // IPv4 only.
  std::string netns_path{};
};

class HttpClient {
 public:
  HttpClient(std::string host, std::string port, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const std::string& host() const { return host_; }
  const std::string& port() const { return port_; }

  // Opens the connection unless it is open. A request that fails here was never sent.
  Status Connect();
  // Sends `request` and reads the whole response.
  Result<HttpResponse> Send(const HttpRequest& request);

  // Sends `request` on a fresh connection and returns the response head (body empty).
  // A non-2xx response is read whole into the body and the stream ends there.
  Result<HttpResponse> StartStream(const HttpRequest& request);
  // The next piece of the streamed body as it arrives; std::nullopt once the body ended.
  Result<std::optional<std::string>> ReadStream();

  // Aborts what is in progress; this and every later call fails with Unavailable.
  void Cancel();

 private:
  struct Impl;
  const std::string host_;
  const std::string port_;
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" ("[::1]:2379" for IPv6). False when there is no port.
bool SplitHostPort(std::string_view hostport, std::string* host, std::string* port);

}  // namespace wharf::net
