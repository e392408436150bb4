// HTTP/1.1 messages as the proxy holds them, and feeding bytes off a socket to Beast's
// parser. Shared by the proxy and the request fuzzer (fuzz/lb_request_fuzzer.cc), so the
// fuzzer drives the same parsing the proxy does.
//
// Header fields live in a per-connection arena (std::pmr) that is emptied between
// requests: Beast allocates every field on its own, and malloc/free per field was a
// visible share of the proxy's CPU. Bodies keep the ordinary allocator: they may be large
// and grow, which a monotonic arena would pay for twice.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory_resource>

namespace wharf::lb {

using FieldAlloc = std::pmr::polymorphic_allocator<char>;
using ArenaFields = boost::beast::http::basic_fields<FieldAlloc>;
using ProxyRequest = boost::beast::http::request<boost::beast::http::string_body, ArenaFields>;
using ProxyResponse = boost::beast::http::response<boost::beast::http::string_body, ArenaFields>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body, FieldAlloc>;
using ResponseParser = boost::beast::http::response_parser<boost::beast::http::string_body, FieldAlloc>;

// Feeds what `buffer` holds to `parser`, consuming what it used. True when the message is
// complete or `ec` is set; false when it needs more bytes.
template <typename Parser>
bool FeedParser(Parser& parser, boost::beast::flat_buffer& buffer, boost::beast::error_code& ec) {
  while (!parser.is_done()) {
    if (buffer.size() == 0) return false;
    size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == boost::beast::http::error::need_more) {
      ec = {};
      return false;
    }
    if (ec) return true;
    if (used == 0) return false;
  }
  return true;
}

// The peer ended the stream while a message was expected: complete it (a response whose
// body runs to the end of the stream) or set `ec` to what went wrong (end_of_stream when
// nothing of a message had come, partial_message when part of one had).
template <typename Parser>
void FeedEof(Parser& parser, boost::beast::error_code& ec) {
  if (!parser.got_some()) {
    ec = boost::beast::http::error::end_of_stream;
    return;
  }
  ec = {};
  parser.put_eof(ec);
  if (!ec && !parser.is_done()) ec = boost::beast::http::error::partial_message;
}

}  // namespace wharf::lb
