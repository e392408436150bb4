#include "api/cbor.h"

#include <cbor.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <limits>
#include <optional>
#include <vector>

#include "base/crypto.h"

namespace wharf::api {
namespace json = boost::json;

namespace {

// The decoder's state between libcbor's callbacks: the containers being filled, innermost
// last. libcbor reports one header or scalar per call; nesting is ours to track.
struct Decoder {
  enum class Kind { kArray, kMap, kBytes, kText, kTag };
  struct Frame {
    Kind kind;
    int64_t remaining;  // items still to come; -1 until a break (indefinite length)
    json::value container;
    std::optional<std::string> key;  // a map's key awaiting its value
    std::string chunks;               // an indefinite string's pieces so far
    uint64_t tag = 0;
  };
  std::vector<Frame> stack;
  std::optional<json::value> result;
  std::string error;

  bool failed() const { return !error.empty(); }
  void Fail(std::string message) {
    if (error.empty()) error = std::move(message);
  }

  void Open(Kind kind, int64_t remaining, json::value container) {
    if (failed()) return;
    if (stack.size() >= kMaxCborDepth) return Fail("CBOR nested deeper than " + std::to_string(kMaxCborDepth));
    if (!stack.empty() && (stack.back().kind == Kind::kBytes || stack.back().kind == Kind::kText)) {
      return Fail("an indefinite-length string holds a non-string chunk");
    }
    stack.push_back(Frame{kind, remaining, std::move(container), std::nullopt, {}, 0});
    if (remaining == 0) Close();
  }

  // The innermost container is complete: it becomes a value of the one around it.
  void Close() {
    Frame done = std::move(stack.back());
    stack.pop_back();
    if (done.kind == Kind::kBytes) return Emit(json::value(Base64Encode(done.chunks)));
    if (done.kind == Kind::kText) return Emit(json::value(std::move(done.chunks)));
    Emit(std::move(done.container));
  }

  void Emit(json::value v) {
    if (failed()) return;
    if (stack.empty()) {
      if (result) return Fail("more than one CBOR data item");
      result = std::move(v);
      return;
    }
    Frame& top = stack.back();
    switch (top.kind) {
      case Kind::kBytes:
      case Kind::kText:
        return Fail("an indefinite-length string holds a non-string chunk");
      case Kind::kTag: {
        uint64_t tag = top.tag;
        stack.pop_back();
        // Tag 1 is an epoch time, the JSON protocol's timestamp number; no other tag is
        // part of the protocol.
        if (tag != 1) return Fail("CBOR tag " + std::to_string(tag) + " is not supported");
        if (!v.is_number()) return Fail("CBOR tag 1 (epoch time) on a value that is not a number");
        return Emit(std::move(v));
      }
      case Kind::kArray:
        top.container.get_array().push_back(std::move(v));
        break;
      case Kind::kMap:
        if (!top.key) {
          if (!v.is_string()) return Fail("a CBOR map key that is not a text string");
          top.key = std::string(v.get_string());
          return;  // the value is still to come
        }
        if (!v.is_null()) top.container.get_object()[*top.key] = std::move(v);
        top.key.reset();
        break;
    }
    if (top.remaining > 0 && --top.remaining == 0) Close();
  }

  void Chunk(Kind kind, cbor_data data, size_t size) {
    if (failed()) return;
    std::string_view piece(reinterpret_cast<const char*>(data), size);
    if (!stack.empty() && (stack.back().kind == Kind::kBytes || stack.back().kind == Kind::kText)) {
      if (stack.back().kind != kind) return Fail("an indefinite-length string holds a chunk of another type");
      stack.back().chunks.append(piece);
      return;
    }
    Emit(json::value(kind == Kind::kBytes ? Base64Encode(piece) : std::string(piece)));
  }

  void Break() {
    if (failed()) return;
    if (stack.empty() || stack.back().remaining != -1 || stack.back().kind == Kind::kTag) return Fail("a CBOR break outside an indefinite-length item");
    if (stack.back().key) return Fail("a CBOR map ends between a key and its value");
    Close();
  }
};

Decoder& D(void* ctx) { return *static_cast<Decoder*>(ctx); }
void OnUint(void* c, uint64_t v) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return D(c).Emit(json::value(v));
  D(c).Emit(json::value(static_cast<int64_t>(v)));
}
void OnUint8(void* c, uint8_t v) { OnUint(c, v); }
void OnUint16(void* c, uint16_t v) { OnUint(c, v); }
void OnUint32(void* c, uint32_t v) { OnUint(c, v); }
// A negative integer n stands for -1 - n.
void OnNegint(void* c, uint64_t n) {
  if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return D(c).Emit(json::value(-1.0 - static_cast<double>(n)));
  }
  D(c).Emit(json::value(-1 - static_cast<int64_t>(n)));
}
void OnNegint8(void* c, uint8_t n) { OnNegint(c, n); }
void OnNegint16(void* c, uint16_t n) { OnNegint(c, n); }
void OnNegint32(void* c, uint32_t n) { OnNegint(c, n); }
void OnBytes(void* c, cbor_data d, size_t n) { D(c).Chunk(Decoder::Kind::kBytes, d, n); }
void OnText(void* c, cbor_data d, size_t n) { D(c).Chunk(Decoder::Kind::kText, d, n); }
void OnBytesStart(void* c) { D(c).Open(Decoder::Kind::kBytes, -1, nullptr); }
void OnTextStart(void* c) { D(c).Open(Decoder::Kind::kText, -1, nullptr); }
// Declared sizes are counted down, never reserved (a hostile header could claim anything).
int64_t Declared(size_t n) { return n > static_cast<size_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(n); }
void OnArray(void* c, size_t n) { D(c).Open(Decoder::Kind::kArray, Declared(n), json::array()); }
void OnIndefArray(void* c) { D(c).Open(Decoder::Kind::kArray, -1, json::array()); }
void OnMap(void* c, size_t n) { D(c).Open(Decoder::Kind::kMap, Declared(n), json::object()); }
void OnIndefMap(void* c) { D(c).Open(Decoder::Kind::kMap, -1, json::object()); }
void OnTag(void* c, uint64_t tag) {
  Decoder& d = D(c);
  d.Open(Decoder::Kind::kTag, -1, nullptr);
  if (!d.failed()) d.stack.back().tag = tag;
}
void OnFloat(void* c, float v) { D(c).Emit(json::value(static_cast<double>(v))); }
void OnDouble(void* c, double v) { D(c).Emit(json::value(v)); }
void OnNull(void* c) { D(c).Emit(json::value(nullptr)); }
void OnBool(void* c, bool v) { D(c).Emit(json::value(v)); }
void OnBreak(void* c) { D(c).Break(); }

const cbor_callbacks kCallbacks = {
    .uint8 = OnUint8, .uint16 = OnUint16, .uint32 = OnUint32, .uint64 = OnUint,
    .negint64 = OnNegint, .negint32 = OnNegint32, .negint16 = OnNegint16, .negint8 = OnNegint8,
    .byte_string_start = OnBytesStart, .byte_string = OnBytes,
    .string = OnText, .string_start = OnTextStart,
    .indef_array_start = OnIndefArray, .array_start = OnArray,
    .indef_map_start = OnIndefMap, .map_start = OnMap,
    .tag = OnTag,
    .float2 = OnFloat, .float4 = OnFloat, .float8 = OnDouble,
    .undefined = OnNull, .null = OnNull, .boolean = OnBool,
    .indef_break = OnBreak,
};

}  // namespace

Result<json::value> DecodeCbor(std::string_view bytes) {
  if (bytes.empty()) return json::value(json::object());
  Decoder d;
  auto data = reinterpret_cast<cbor_data>(bytes.data());
  size_t offset = 0;
  while (offset < bytes.size() && !d.failed()) {
    if (d.result) return Status::InvalidArgument("bytes after the CBOR data item");
    cbor_decoder_result r = cbor_stream_decode(data + offset, bytes.size() - offset, &kCallbacks, &d);
    if (r.status == CBOR_DECODER_NEDATA) return Status::InvalidArgument("the CBOR data item is truncated");
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0) {
      return Status::InvalidArgument("malformed CBOR at byte " + std::to_string(offset));
    }
    offset += r.read;
  }
  if (d.failed()) return Status::InvalidArgument(d.error);
  if (!d.result || !d.stack.empty()) return Status::InvalidArgument("the CBOR data item is truncated");
  return std::move(*d.result);
}

// libcbor's encoders write at most 9 bytes of header (a major type and a 64-bit argument).
template <typename Value>
void CborWriter::Head(size_t (*encode)(Value, unsigned char*, size_t), Value v) {
  unsigned char b[9];
  Put(b, encode(v, b, sizeof b));
}

void CborWriter::Int(int64_t v) {
  if (v >= 0) return Head(cbor_encode_uint, static_cast<uint64_t>(v));
  Head(cbor_encode_negint, static_cast<uint64_t>(-1 - v));
}
void CborWriter::Uint(uint64_t v) { Head(cbor_encode_uint, v); }
void CborWriter::Double(double v) { Head(cbor_encode_double, v); }
void CborWriter::Bool(bool v) { Head(cbor_encode_bool, v); }
void CborWriter::Null() {
  unsigned char b[1];
  Put(b, cbor_encode_null(b, sizeof b));
}
void CborWriter::Text(std::string_view s) {
  Head(cbor_encode_string_start, s.size());
  out_.append(s);
}
void CborWriter::Bytes(std::string_view s) {
  Head(cbor_encode_bytestring_start, s.size());
  out_.append(s);
}
void CborWriter::ArrayStart(size_t n) { Head(cbor_encode_array_start, n); }
void CborWriter::MapStart(size_t n) { Head(cbor_encode_map_start, n); }
void CborWriter::Tag(uint64_t tag) { Head(cbor_encode_tag, tag); }

void CborWriter::Json(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return Null();
    case json::kind::bool_: return Bool(v.get_bool());
    case json::kind::int64: return Int(v.get_int64());
    case json::kind::uint64: return Uint(v.get_uint64());
    case json::kind::double_: return Double(v.get_double());
    case json::kind::string: return Text(v.get_string());
    case json::kind::array:
      ArrayStart(v.get_array().size());
      for (const auto& e : v.get_array()) Json(e);
      return;
    case json::kind::object:
      MapStart(v.get_object().size());
      for (const auto& [k, e] : v.get_object()) {
        Text(k);
        Json(e);
      }
      return;
  }
}

}  // namespace wharf::api
