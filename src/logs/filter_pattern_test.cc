// The filter pattern language against the examples of AWS's "Filter pattern syntax" page.
#include "logs/filter_pattern.h"

#include <gtest/gtest.h>

namespace wharf::logs {
namespace {

bool M(std::string_view pattern, std::string_view message) {
  auto p = FilterPattern::Parse(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << p.status().ToString();
  return p.ok() && p->Matches(message);
}

TEST(FilterPatternTest, EmptyMatchesEverything) {
  EXPECT_TRUE(M("", "anything"));
  EXPECT_TRUE(M("   ", ""));
}

TEST(FilterPatternTest, TermsAllMustMatchCaseSensitive) {
  EXPECT_TRUE(M("ERROR", "[ERROR 400] BAD REQUEST"));
  EXPECT_FALSE(M("ERROR", "[error 400] bad request"));
  EXPECT_TRUE(M("ERROR ARGUMENTS", "[ERROR 419] MISSING ARGUMENTS"));
  EXPECT_FALSE(M("ERROR ARGUMENTS", "[ERROR 401] UNAUTHORIZED REQUEST"));
}

TEST(FilterPatternTest, QuotedPhrases) {
  EXPECT_TRUE(M("\"INTERNAL SERVER ERROR\"", "[ERROR 500] INTERNAL SERVER ERROR"));
  EXPECT_FALSE(M("\"SERVER INTERNAL\"", "[ERROR 500] INTERNAL SERVER ERROR"));
  EXPECT_TRUE(M("\"ERROR 400\" REQUEST", "[ERROR 400] BAD REQUEST"));
}

TEST(FilterPatternTest, OptionalTermsAnyMatch) {
  EXPECT_TRUE(M("?ERROR ?WARN", "[WARN] disk almost full"));
  EXPECT_TRUE(M("?ERROR ?WARN", "[ERROR] disk full"));
  EXPECT_FALSE(M("?ERROR ?WARN", "[INFO] all good"));
  EXPECT_TRUE(M("?\"disk full\" ?timeout", "request timeout"));
}

TEST(FilterPatternTest, ExcludedTerms) {
  EXPECT_TRUE(M("ERROR -Exiting", "ERROR Exception: retrying"));
  EXPECT_FALSE(M("ERROR -Exiting", "ERROR Exception: Exiting"));
  EXPECT_FALSE(M("-DEBUG", "DEBUG noise"));
  EXPECT_TRUE(M("-DEBUG", "INFO useful"));
}

TEST(FilterPatternTest, JsonStrings) {
  const char* trail = R"({"eventType":"UpdateTrail","sourceIPAddress":"123.123.1.2","arrayKey":["value","another"],"objectList":[{"name":"a","id":1},{"name":"b","id":2}]})";
  EXPECT_TRUE(M(R"({ $.eventType = "UpdateTrail" })", trail));
  EXPECT_TRUE(M(R"({ $.eventType = UpdateTrail })", trail));
  EXPECT_FALSE(M(R"({ $.eventType = "CreateTrail" })", trail));
  EXPECT_FALSE(M(R"({ $.sourceIPAddress != 123.123.* })", trail));
  EXPECT_TRUE(M(R"({ $.sourceIPAddress != 10.0.* })", trail));
  EXPECT_TRUE(M(R"({ $.eventType = "Update*" })", trail));
  EXPECT_TRUE(M(R"({ $.arrayKey[0] = "value" })", trail));
  EXPECT_TRUE(M(R"({ $.objectList[1].id = 2 })", trail));
  EXPECT_FALSE(M(R"({ $.eventType = "UpdateTrail" })", "not json at all"));
}

TEST(FilterPatternTest, JsonNumbers) {
  const char* e = R"({"bandwidth":75,"latency":500,"level":"error","nested":{"code":1e3}})";
  EXPECT_TRUE(M("{ $.latency > 100 }", e));
  EXPECT_FALSE(M("{ $.latency < 100 }", e));
  EXPECT_TRUE(M("{ $.latency >= 500 }", e));
  EXPECT_TRUE(M("{ $.bandwidth <= 75 }", e));
  EXPECT_TRUE(M("{ $.bandwidth != 76 }", e));
  EXPECT_TRUE(M("{ $.nested.code = 1000 }", e));
  EXPECT_FALSE(M("{ $.missing > 1 }", e));
}

TEST(FilterPatternTest, JsonAndOr) {
  const char* e = R"({"user":{"id":1,"email":"John.Doe@example.com"},"users":[{"email":"John.Doe@example.com"}],"actions":["GET","PUT","DELETE"]})";
  EXPECT_TRUE(M(R"({ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") })", e));
  EXPECT_FALSE(M(R"({ ($.user.id = 2) && ($.users[0].email = "John.Doe@example.com") })", e));
  EXPECT_TRUE(M(R"({ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "DELETE" })", e));
  EXPECT_FALSE(M(R"({ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" })", e));
}

TEST(FilterPatternTest, JsonNullExistsBooleans) {
  const char* e = R"({"SomeObject":null,"ThisFlag":true,"Other":false})";
  EXPECT_TRUE(M("{ $.SomeObject IS NULL }", e));
  EXPECT_FALSE(M("{ $.ThisFlag IS NULL }", e));
  EXPECT_TRUE(M("{ $.SomeOtherObject NOT EXISTS }", e));
  EXPECT_FALSE(M("{ $.SomeObject NOT EXISTS }", e));
  EXPECT_TRUE(M("{ $.SomeObject EXISTS }", e));
  EXPECT_TRUE(M("{ $.ThisFlag IS TRUE }", e));
  EXPECT_TRUE(M("{ $.Other IS FALSE }", e));
  EXPECT_FALSE(M("{ $.Other IS TRUE }", e));
}

TEST(FilterPatternTest, SpaceDelimited) {
  const char* line = R"(127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534)";
  EXPECT_TRUE(M("[ip, user, username, timestamp, request, status_code, bytes]", line));
  EXPECT_TRUE(M("[ip, user, username, timestamp, request, status_code = 404, bytes]", line));
  EXPECT_TRUE(M("[ip, user, username, timestamp, request, status_code = 4*, bytes > 1000]", line));
  EXPECT_FALSE(M("[ip, user, username, timestamp, request, status_code = 5*, bytes]", line));
  EXPECT_TRUE(M("[ip, user, ..., status_code = 404, bytes]", line));
  EXPECT_TRUE(M("[..., status_code = 4* || status_code = 5*, bytes]", line));
  EXPECT_TRUE(M("[ip = 127.0.0.1, ...]", line));
  EXPECT_FALSE(M("[ip, user]", line));  // the field count must match without ...
  EXPECT_TRUE(M("[ip, user, username, timestamp, request = \"*apache*\", ...]", line));
}

TEST(FilterPatternTest, MalformedPatternsAreRefused) {
  for (const char* bad : {"{ $.a = }", "{ $.a > abc }", "{ $.a = 1", "\"unterminated", "{ a = 1 }", "[ip, ", "{ ($.a = 1 }"}) {
    auto p = FilterPattern::Parse(bad);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_TRUE(p.status().IsInvalidArgument());
    }
  }
}

TEST(FilterPatternTest, Wildcards) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("a*c", "abbbc"));
  EXPECT_FALSE(WildcardMatch("a*c", "abbb"));
  EXPECT_TRUE(WildcardMatch("*html*", "GET /index.html HTTP/1.1"));
}

}  // namespace
}  // namespace wharf::logs
