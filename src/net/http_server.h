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
//
// Large bodies: requests for which `spool_body` says yes have their body streamed into a
// file under `spool_dir` instead of memory (no size limit); the handler gets its path in
// `body_file` and may rename it away; whatever is left there is removed once the answer
// is written. Answers may likewise stream a file (Reply::file).
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
using RequestHeader = boost::beast::http::request_header<>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// A request as the handler sees it: the message, and where its body went if spooled.
struct Incoming {
  Request message;       // body empty when spooled
  std::string body_file;  // the spooled body, or empty
  std::string remote_address;  // the client's IP address ("127.0.0.1")
  // With HttpServerOptions::original_destination, for a connection whose SYN carried a VPC's
  // mark (net.ipv4.tcp_fwmark_accept; conntrack_zone names its zone): the mark, and the
  // address and port the client dialled ("10.0.2.4:443", conntrack's original tuple), or
  // origin_unknown when that could not be read. 0, empty and false for any other connection.
  std::string original_destination;
  uint32_t mark = 0;
  bool origin_unknown = false;
  // The handler's note of the VPC endpoint the request came through (server.cc), so that what
  // it calls (the registry's authorization) need not look it up again. Null for none.
  std::shared_ptr<const void> via;
  // With HttpServerOptions::original_destination: a note the connection keeps across its
  // requests (one at a time), for the handler to remember the VPC endpoint (its id) the
  // connection's first request came through, and refuse a later one that another endpoint at
  // the same address would now serve (the endpoint replaced). Null otherwise.
  std::shared_ptr<std::string> connection_vpce;
};

// A body made as it is sent (a blob decrypted chunk by chunk): Next() is called on the
// connection's loop until `length` bytes came out; an error there closes the connection (the
// header is already sent).
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual Result<std::string> Next() = 0;  // the next piece, never empty before the end
};

// An answer: a message with a small body, a message whose body is a file's bytes, or one
// whose body a BodySource makes.
struct Reply {
  Reply(Response r) : response(std::move(r)) {}  // NOLINT: a plain answer is a Reply
  Response response;
  std::string file;  // when set, the body is this file's bytes [offset, offset + length)
  uint64_t offset = 0;
  uint64_t length = UINT64_MAX;  // to the end of the file; with `source`, its whole length
  std::shared_ptr<BodySource> source;
  // Close the connection without answering (a request the listener must not serve at all,
  // as a TLS peer whose certificate does not name the host would be refused).
  bool drop = false;
  static Reply Drop() {
    Reply r{Response{}};
    r.drop = true;
    return r;
  }
};

using Responder = std::function<void(Reply&&)>;
using Handler = std::function<void(Incoming&& request, Responder respond)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // SO_BINDTODEVICE on the listening socket (needs CAP_NET_RAW): it accepts only what comes
  // in through that interface, and its replies leave through it. Empty: any interface.
  std::string bind_device;
  int threads = 1;
  size_t body_limit = 16 * 1024 * 1024;
  size_t header_limit = 64 * 1024;
  int idle_timeout_seconds = 120;
  // Read each accepted connection's mark (one getsockopt), and for a VPC's connection its
  // original destination at its first request (Incoming): getsockname, SO_ORIGINAL_DST and,
  // as that sees the default zone only, a netlink request to conntrack in the VPC's zone
  // (net/conntrack_origin.h).
  bool original_destination = false;
  // The conntrack zone of the VPC whose reply mark is `mark`; 0 for a mark that is no VPC's
  // (the connection is then asked nothing more). Needed with original_destination.
  std::function<uint16_t(uint32_t mark)> conntrack_zone;
  std::function<bool(const RequestHeader&)> spool_body;  // may be empty: nothing spooled
  std::string spool_dir;
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
