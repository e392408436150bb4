// Request framing checks, as ALB's desync mitigation (defensive mode) applies them: a
// request whose length can be read two ways is refused before it reaches a target.
#pragma once

#include <boost/beast/http/message.hpp>
#include <string>

namespace wharf::lb {

// Empty when the request may be forwarded; otherwise why it is refused (400, and the
// connection closed). Beast has already refused what it cannot parse: differing
// Content-Lengths, obs-fold, bad chunking, oversized headers.
std::string FramingProblem(const boost::beast::http::request_header<>& header);

}  // namespace wharf::lb
