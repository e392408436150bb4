// CBOR request bodies (smithy-rpc-v2-cbor, api/cbor.h): whatever the bytes, DecodeCbor returns
// a value or an error, and a value written back by CborWriter decodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/cbor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = wharf::api::DecodeCbor(bytes);
  if (!decoded.ok()) return 0;
  wharf::api::CborWriter writer;
  writer.Json(*decoded);
  auto again = wharf::api::DecodeCbor(writer.bytes());
  if (!again.ok()) std::abort();
  // NaN never equals itself; any other value must come back as it went.
  if (*again != *decoded && writer.bytes().find('\xfb') == std::string::npos) std::abort();
  return 0;
}
