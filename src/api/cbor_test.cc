#include "api/cbor.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace wharf::api {
namespace {

namespace json = boost::json;

json::value Decode(std::string_view bytes) {
  auto v = DecodeCbor(bytes);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : json::value();
}

TEST(Cbor, DecodesAsTheJsonProtocolWould) {
  // {"a": 1, "b": -2, "c": 1(1.5), "d": h'0001', "e": null, "f": [true, 1.5f16]}
  std::string body("\xa6\x61" "a\x01\x61" "b\x21\x61" "c\xc1\xfb\x3f\xf8\0\0\0\0\0\0\x61" "d\x42\x00\x01\x61" "e\xf6\x61" "f\x82\xf5\xf9\x3e\x00",
                   34);
  json::value v = Decode(body);
  EXPECT_EQ(json::serialize(v), R"({"a":1,"b":-2,"c":1.5E0,"d":"AAE=","f":[true,1.5E0]})");
}

TEST(Cbor, IndefiniteLengthsAndRoundTrip) {
  json::value v = Decode("\xbf\x61k\x7f\x62" "ab\x61" "c\xff\x61l\x9f\x01\x02\xff\xff");
  EXPECT_EQ(json::serialize(v), R"({"k":"abc","l":[1,2]})");
  CborWriter w;
  w.Json(v);
  EXPECT_EQ(Decode(w.bytes()), v);
  EXPECT_EQ(json::serialize(Decode("")), "{}");
}

TEST(Cbor, RefusesWhatTheProtocolDoesNot) {
  for (std::string_view bad : {std::string_view("\xa1\x61k", 3), std::string_view("\xa0\x00", 2),
                               std::string_view("\xc2\x41\x01", 3), std::string_view("\xa1\x01\x02", 3),
                               std::string_view("\xff", 1), std::string_view("\x7f\x01\xff", 3),
                               std::string_view("\x9b\xff\xff\xff\xff\xff\xff\xff\xff", 9)}) {
    EXPECT_FALSE(DecodeCbor(bad).ok()) << json::serialize(json::value(std::string(bad)));
  }
  EXPECT_FALSE(DecodeCbor(std::string(100, '\x81') + "\x01").ok());  // deeper than kMaxCborDepth
  EXPECT_TRUE(DecodeCbor(std::string(kMaxCborDepth, '\x81') + "\x01").ok());
}

}  // namespace
}  // namespace wharf::api
