// Request bodies sent with a Content-Encoding. The SDKs gzip the requests of operations whose
// model has the requestcompression trait (CloudWatch PutMetricData) once they pass 10 KiB;
// SigV4 signs the body as sent, so the front door verifies the compressed bytes and decodes
// the body only to read it.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "net/http_server.h"

namespace wharf::api {

// The most a compressed request may inflate to: the front door's body limit.
inline constexpr size_t kMaxInflatedBody = 16 << 20;

// The request's body as its operation reads it: the body itself, or (Content-Encoding: gzip)
// its decompression, kept in `holder`. InvalidArgument for an unknown encoding, a corrupt
// stream or one that inflates past kMaxInflatedBody.
Result<std::string_view> DecodedBody(const net::Request& req, std::string& holder);

// gzip (RFC 1952) decompression, at most `limit` bytes out.
Result<std::string> Gunzip(std::string_view data, size_t limit);

}  // namespace wharf::api
