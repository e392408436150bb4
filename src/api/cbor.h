// CBOR (RFC 8949) for the smithy-rpc-v2-cbor protocol, on libcbor's streaming decoder and
// its item encoders: wharf's handlers speak boost::json, so a request body becomes the JSON
// value the JSON protocol would have carried, and an answer is written from one.
//
// Decoding maps a CBOR data item as the JSON protocol represents the same member:
//   unsigned/negative integers -> int64 (uint64 above INT64_MAX), floats (half, single,
//   double) -> double, text -> string, byte strings -> base64 strings (the JSON protocol's
//   blobs), tag 1 (epoch time) -> its number (the JSON protocol's timestamps), null and
//   undefined -> null (a map member that is null is dropped, as absent), arrays and maps
//   (definite or indefinite, maps keyed by text only) -> arrays and objects.
// Anything else (other tags, non-text keys, trailing bytes, nesting deeper than
// kMaxCborDepth, a truncated item) is InvalidArgument: the caller's SerializationException.
// Declared lengths are never trusted for allocation: a header claiming 2^60 elements costs
// nothing until the elements arrive.
//
// Thread-safety: free functions and a value type.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace wharf::api {

inline constexpr size_t kMaxCborDepth = 64;

// The one data item of `bytes`; an empty body is an empty object (an operation without input).
Result<boost::json::value> DecodeCbor(std::string_view bytes);

// Appends CBOR items, each with its shortest header.
class CborWriter {
 public:
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Double(double v);
  void Bool(bool v);
  void Null();
  void Text(std::string_view s);
  void Bytes(std::string_view b);
  void ArrayStart(size_t n);
  void MapStart(size_t n);
  void Tag(uint64_t tag);

  // A JSON value with no shape to say more: objects as maps, numbers by their JSON kind.
  void Json(const boost::json::value& v);

  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Put(const unsigned char* p, size_t n) { out_.append(reinterpret_cast<const char*>(p), n); }
  // One header written by a libcbor encoder (defined and used in cbor.cc only).
  template <typename Value>
  void Head(size_t (*encode)(Value, unsigned char*, size_t), Value v);
  std::string out_;
};

}  // namespace wharf::api
