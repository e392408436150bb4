#include "base/crypto.h"

#include <gtest/gtest.h>

namespace wharf {
namespace {

TEST(Crypto, Sha256OfEmpty) {
  EXPECT_EQ(HexEncode(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Crypto, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << i;
    bytes.push_back(static_cast<char>(0xf0 + i));
  }
  EXPECT_EQ(Base64Encode("wharf"), "d2hhcmY=");
  EXPECT_FALSE(Base64Decode("abc").has_value());
  EXPECT_FALSE(Base64Decode("a!c=").has_value());
  EXPECT_FALSE(Base64Decode("====").has_value());
  EXPECT_FALSE(Base64Decode("========").has_value());
  EXPECT_FALSE(Base64Decode("a===").has_value());
}

}  // namespace
}  // namespace wharf
