// Hashes and MACs (OpenSSL), and hex encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wharf {

std::string Sha256(std::string_view data);                          // raw 32 bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string HexEncode(std::string_view bytes);                      // lowercase
// Constant-time comparison, for secrets and signatures.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace wharf

namespace wharf {
std::string Base64Encode(std::string_view bytes);
// Empty optional on malformed input.
std::optional<std::string> Base64Decode(std::string_view text);
}  // namespace wharf
