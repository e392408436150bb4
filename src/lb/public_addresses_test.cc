#include "lb/public_addresses.h"

#include <gtest/gtest.h>

namespace wharf::lb {
namespace {

Listener Make(uint16_t port, std::vector<std::string> publics) {
  Listener l;
  l.port = port;
  l.public_addresses = std::move(publics);
  return l;
}

TEST(PublicAddressesTest, EachPublicAddressWithItsOwnListenersPortsOnly) {
  auto script = CompilePublicAddresses({Make(80, {"198.51.100.2", "198.51.100.1"}), Make(8443, {"198.51.100.2"}),
                                        Make(9000, {})},
                                       "127.0.0.1", "wharf_lb_us_east_1");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_NE(script->find("elements = { 198.51.100.1 . 80, 198.51.100.2 . 80, 198.51.100.2 . 8443 }"),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("ip daddr . tcp dport @listeners dnat to 127.0.0.1"), std::string::npos);
  EXPECT_NE(script->find("type nat hook output"), std::string::npos);
  EXPECT_NE(script->find("type nat hook prerouting"), std::string::npos);
  EXPECT_EQ(script->find("9000"), std::string::npos);
}

TEST(PublicAddressesTest, NoneRemovesTheTableAndAnyBindIsLoopback) {
  auto none = CompilePublicAddresses({Make(80, {})}, "127.0.0.1", "t");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "table ip t\ndelete table ip t\n");
  auto any = CompilePublicAddresses({Make(80, {"198.51.100.9"})}, "0.0.0.0", "t");
  ASSERT_TRUE(any.ok());
  EXPECT_NE(any->find("dnat to 127.0.0.1"), std::string::npos);
}

TEST(PublicAddressesTest, RefusesWhatIsNotAnAddressOrATableName) {
  EXPECT_FALSE(CompilePublicAddresses({Make(80, {"198.51.100.1; flush ruleset"})}, "127.0.0.1", "t").ok());
  EXPECT_FALSE(CompilePublicAddresses({Make(80, {"198.51.100.1"})}, "::1", "t").ok());
  EXPECT_FALSE(CompilePublicAddresses({}, "127.0.0.1", "t; x").ok());
  EXPECT_EQ(PublicAddressTable("eu-west-1", "/var/lib/wharf"), PublicAddressTable("eu-west-1", "/var/lib/wharf"));
  EXPECT_EQ(PublicAddressTable("eu-west-1", "/var/lib/wharf").rfind("wharf_lb_eu_west_1_", 0), 0u);
  EXPECT_NE(PublicAddressTable("eu-west-1", "/var/lib/wharf"), PublicAddressTable("eu-west-1", "/tmp/wharf"));
  EXPECT_TRUE(CompilePublicAddresses({}, "127.0.0.1", PublicAddressTable("ap-southeast-2", "/tmp/x")).ok());
}

}  // namespace
}  // namespace wharf::lb
