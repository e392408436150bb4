// Request framing checks, as ALB's desync mitigation (defensive mode) applies them: a
// request whose length can be read two ways is refused before it reaches a target.
#pragma once

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/message.hpp>
#include <string>

namespace wharf::lb {

// Empty when the request may be forwarded; otherwise why it is refused (400, and the
// connection closed). Beast has already refused what it cannot parse: differing
// Content-Lengths, obs-fold, bad chunking, oversized headers. A template over the fields'
// allocator: the proxy keeps its fields in a per-connection arena.
template <typename Fields>
std::string FramingProblem(const boost::beast::http::header<true, Fields>& header) {
  namespace http = boost::beast::http;
  auto te = header.find(http::field::transfer_encoding);
  size_t lengths = 0;
  for (auto it = header.find(http::field::content_length);
       it != header.end() && it->name() == http::field::content_length; ++it) {
    ++lengths;
  }
  if (te != header.end() && lengths > 0) return "both Content-Length and Transfer-Encoding";
  if (te != header.end() && !boost::beast::iequals(te->value(), "chunked")) {
    return "transfer coding other than chunked";
  }
  if (lengths > 1) return "more than one Content-Length";
  for (const auto& field : header) {
    for (char c : field.value()) {
      if (c == '\r' || c == '\n' || c == '\0') return "control character in a header value";
    }
  }
  return "";
}

}  // namespace wharf::lb
