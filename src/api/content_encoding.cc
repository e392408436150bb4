#include "api/content_encoding.h"

#include <zlib.h>

#include <boost/beast/http/field.hpp>

namespace wharf::api {

Result<std::string> Gunzip(std::string_view data, size_t limit) {
  z_stream zs{};
  // 16 + MAX_WBITS: a gzip header and trailer, not a zlib one.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::Internal("inflateInit2 failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  char chunk[16384];
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::InvalidArgument("the request body is not valid gzip");
    }
    out.append(chunk, sizeof(chunk) - zs.avail_out);
    if (out.size() > limit) {
      inflateEnd(&zs);
      return Status::InvalidArgument("the decompressed request body is too large");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Status::InvalidArgument("the request body is truncated gzip");
    }
  }
  inflateEnd(&zs);
  return out;
}

Result<std::string_view> DecodedBody(const net::Request& req, std::string& holder) {
  auto field = req.find(boost::beast::http::field::content_encoding);
  if (field == req.end() || field->value().empty() || field->value() == "identity") {
    return std::string_view(req.body());
  }
  if (field->value() != "gzip") {
    return Status::InvalidArgument("unsupported Content-Encoding " + std::string(field->value()));
  }
  ASSIGN_OR_RETURN(holder, Gunzip(req.body(), kMaxInflatedBody));
  return std::string_view(holder);
}

}  // namespace wharf::api
