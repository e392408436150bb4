// libFuzzer target: bytes off the wire through the load balancer's request parsing — Beast's
// parser with the data plane's limits, the framing (desync) checks, rule matching and
// redirect expansion. Build and run with fuzz/run.sh.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>

#include "lb/request_check.h"
#include "lb/rules.h"

namespace http = boost::beast::http;
using namespace wharf::lb;

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
  http::request_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec && ec != http::error::need_more) return 0;
  if (!parser.is_header_done()) return 0;
  const auto& req = parser.get();
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
  return 0;
}
