#include "agent/network/subnet_records.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace wharf::agent {
namespace {

namespace fs = std::filesystem;

class SubnetRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "subnet-records-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ + "/subnets";  // made by the first record
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_, dir_;
};

TEST_F(SubnetRecordsTest, WhatIsRecordedIsReadBackUntilForgotten) {
  EXPECT_TRUE(RecordedSubnets(dir_).empty()) << "no directory yet";
  Subnet bridge{"bridge", "10.214.0.0/16", "wharf0", ""};
  Subnet vpc{"subnet-0a1b2c3d4e5f60718", "172.31.0.0/20", "wh-4e5f60718", "vpc-1"};
  ASSERT_TRUE(RecordSubnet(dir_, bridge).ok());
  ASSERT_TRUE(RecordSubnet(dir_, vpc).ok());
  ASSERT_TRUE(RecordSubnet(dir_, vpc).ok()) << "idempotent";
  std::ofstream(dir_ + "/broken.json") << "{\"id\":";  // skipped
  std::ofstream(dir_ + "/x.json.tmp") << "{}";          // a write cut short: not a record
  auto read = RecordedSubnets(dir_);
  ASSERT_EQ(read.size(), 2u);
  std::sort(read.begin(), read.end(), [](const Subnet& a, const Subnet& b) { return a.id < b.id; });
  EXPECT_EQ(read[0].id, "bridge");
  EXPECT_EQ(read[0].bridge, "wharf0");
  EXPECT_EQ(read[0].cidr, "10.214.0.0/16");
  EXPECT_EQ(read[0].vpc_id, "");
  EXPECT_EQ(read[1].bridge, "wh-4e5f60718");
  EXPECT_EQ(read[1].vpc_id, "vpc-1");
  ForgetSubnet(dir_, "bridge");
  ForgetSubnet(dir_, "bridge");  // already gone: fine
  read = RecordedSubnets(dir_);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].id, vpc.id);
}

}  // namespace
}  // namespace wharf::agent
