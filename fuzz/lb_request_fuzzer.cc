// libFuzzer target: bytes off the wire through the load balancer's request parsing as the
// proxy does it (lb/wire.h: Beast's parser with header fields in an arena, fed the bytes in
// pieces as reads deliver them, the data plane's limits), then the framing (desync) checks,
// rule matching and redirect expansion. Build and run with fuzz/run.sh.
#include <boost/beast/core/flat_buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lb/request_check.h"
#include "lb/rules.h"
#include "lb/wire.h"

namespace http = boost::beast::http;
using namespace wharf::lb;

// Built with -DBOOST_ENABLE_ASSERT_HANDLER (fuzz/run.sh): Boost's assertions stay on and abort,
// except one that is known to be wrong. Boost 1.81's chunk parser asserts that at least 5
// bytes are buffered when it resumes after a final chunk ("0\r\n") whose trailer had not
// come yet; fed a byte at a time (as a client may send it), 4 is possible, and the code after
// the assertion handles it (fixed upstream: boostorg/beast pull request 2861). Release builds
// of wharf compile assertions out.
namespace boost {
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (std::strcmp(expr, "n >= 5") == 0 && std::strstr(function, "parse_chunk_header") != nullptr) return;
  std::fprintf(stderr, "%s:%ld: %s: assertion failed: %s\n", file, line, function, expr);
  std::abort();
}
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: assertion failed: %s (%s)\n", file, line, function, expr, msg);
  std::abort();
}
}  // namespace boost

static const Listener& Rules() {
  static const Listener* listener = [] {
    auto* l = new Listener();
    Rule a;
    a.priority = 1;
    a.conditions.push_back({"path-pattern", {"/api/*", "/v?/*"}, "", {}});
    a.conditions.push_back({"host-header", {"*.example.com"}, "", {}});
    Rule b;
    b.priority = 2;
    b.conditions.push_back({"http-header", {"*mobile*"}, "User-Agent", {}});
    b.conditions.push_back({"query-string", {}, "", {{"", "x*y"}, {"k", "*"}}});
    b.conditions.push_back({"source-ip", {"10.0.0.0/8", "::1/128"}, "", {}});
    Rule d;
    d.is_default = true;
    l->rules = {a, b, d};
    return l;
  }();
  return *listener;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte picks the size of the pieces the rest arrives in (1..256 bytes), as
  // successive reads would deliver it; the rest is the byte stream.
  if (size == 0) return 0;
  size_t piece = static_cast<size_t>(data[0]) + 1;
  ++data;
  --size;
  alignas(std::max_align_t) std::byte block[1024];
  std::pmr::monotonic_buffer_resource arena(block, sizeof block);
  // Several requests may come on one connection (pipelining): parse them one after another.
  boost::beast::flat_buffer in;
  size_t offset = 0;
  for (int message = 0; message < 4; ++message) {
    arena.release();  // as the proxy does between requests: the last one's fields are gone
    RequestParser parser(std::piecewise_construct, std::make_tuple(), std::make_tuple(FieldAlloc(&arena)));
    parser.header_limit(64 * 1024);
    parser.body_limit(1 << 20);
    parser.eager(true);
    boost::system::error_code ec;
    bool complete = false;
    while (!(complete = FeedParser(parser, in, ec))) {
      if (offset == size) {
        FeedEof(parser, ec);
        complete = true;
        break;
      }
      size_t n = std::min(piece, size - offset);
      auto space = in.prepare(n);
      std::memcpy(space.data(), data + offset, n);
      in.commit(n);
      offset += n;
    }
    if (!complete || ec || !parser.is_done()) return 0;
    ProxyRequest req = parser.release();
    (void)FramingProblem(req.base());
    std::string_view target = req.target();
    size_t q = target.find('?');
    RequestFacts facts;
    facts.method = req.method_string();
    facts.host = req[http::field::host];
    facts.path = target.substr(0, q);
    facts.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    for (const auto& f : req) facts.headers.emplace_back(f.name_string(), f.value());
    facts.source_ip = "10.1.2.3";
    (void)MatchRule(Rules(), facts);
    (void)ExpandRedirect("https://#{host}:#{port}/x/#{path}?#{query}", "http", facts.host, "80", facts.path,
                         facts.query);
  }
  return 0;
}
