// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast, one event loop per thread.
//
// Lifecycle: Start() binds (port 0 picks a free port), spawns `threads` loops, each with
// its own SO_REUSEPORT acceptor so the kernel spreads connections across them and no
// connection is ever touched by two threads. Stop() (or the destructor) stops accepting,
// closes connections and joins the threads.
//
// The handler runs on the loop thread that owns the connection. It must answer exactly
// once through the Responder, which may be called later and from any thread (the write
// is posted back to the connection's loop); a slow handler blocks only its own loop.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace wharf::net {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Responder = std::function<void(Response&&)>;
using Handler = std::function<void(Request&& request, Responder respond)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  int threads = 1;
  size_t body_limit = 16 * 1024 * 1024;
  size_t header_limit = 64 * 1024;
  int idle_timeout_seconds = 120;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  virtual void Stop() = 0;

  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   Handler handler);
};

}  // namespace wharf::net
