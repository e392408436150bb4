#include "agent/log_shipper.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace wharf::agent {
namespace {

TEST(LogRecord, ParsesConmonRecords) {
  LogRecord r;
  ASSERT_TRUE(ParseLogRecord("2026-11-22T01:02:03.123456789Z stdout F hello world", &r));
  EXPECT_EQ(r.timestamp_ms, 1795309323123);
  EXPECT_EQ(r.text, "hello world");
  EXPECT_FALSE(r.partial);
  ASSERT_TRUE(ParseLogRecord("2026-11-22T01:02:03.5+01:00 stderr P part", &r));
  EXPECT_EQ(r.timestamp_ms, 1795309323500 - 3600000);
  EXPECT_TRUE(r.partial);
  ASSERT_TRUE(ParseLogRecord("2026-11-22T01:02:03Z stdout F ", &r));
  EXPECT_EQ(r.text, "");
  EXPECT_FALSE(ParseLogRecord("not a record", &r));
  EXPECT_FALSE(ParseLogRecord("2026-11-22T01:02:03Z stdout X text", &r));
}

TEST(AwslogsDestination, StreamNamesAsEcsMakesThem) {
  auto def = boost::json::parse(R"({"name":"web","logConfiguration":{"logDriver":"awslogs","options":{
      "awslogs-group":"/ecs/app","awslogs-stream-prefix":"ecs","awslogs-create-group":"true"}}})").as_object();
  auto d = AwslogsDestination(def, "0123abcd");
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->group, "/ecs/app");
  EXPECT_EQ((*d)->stream, "ecs/web/0123abcd");
  EXPECT_TRUE((*d)->create_group);

  auto none = AwslogsDestination(boost::json::parse(R"({"name":"web"})").as_object(), "t");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto missing = AwslogsDestination(
      boost::json::parse(R"({"name":"w","logConfiguration":{"logDriver":"awslogs","options":{}}})").as_object(), "t");
  EXPECT_TRUE(missing.status().IsInvalidArgument());
}

}  // namespace
}  // namespace wharf::agent
