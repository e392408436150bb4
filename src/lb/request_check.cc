#include "lb/request_check.h"

#include <boost/beast/core/string.hpp>

namespace wharf::lb {
namespace http = boost::beast::http;

std::string FramingProblem(const http::request_header<>& header) {
  auto te = header.find(http::field::transfer_encoding);
  size_t lengths = 0;
  for (auto it = header.find(http::field::content_length); it != header.end() && it->name() == http::field::content_length; ++it) {
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
