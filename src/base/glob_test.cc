#include "base/glob.h"

#include <gtest/gtest.h>

namespace wharf {
namespace {

TEST(GlobTest, StarIsAnyRunAndTheRestIsLiteralByDefault) {
  EXPECT_TRUE(GlobMatch("prod*", "prod-1"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*b*d", "abcbd"));
  EXPECT_FALSE(GlobMatch("a?c", "abc"));  // '?' is a character of its own here
  EXPECT_TRUE(GlobMatch("a?c", "a?c"));
  EXPECT_FALSE(GlobMatch("Prod*", "prod-1"));
}

TEST(GlobTest, SyntaxOptions) {
  EXPECT_TRUE(GlobMatch("a?c", "abc", {.question_mark = true}));
  EXPECT_FALSE(GlobMatch("a?c", "ac", {.question_mark = true}));
  EXPECT_TRUE(GlobMatch("*.EXAMPLE.com", "www.example.COM", {.case_insensitive = true}));
  EXPECT_TRUE(GlobMatch("a\\*", "a*", {.backslash_escapes = true}));
  EXPECT_FALSE(GlobMatch("a\\*", "ab", {.backslash_escapes = true}));
  EXPECT_TRUE(GlobMatch("a\\?", "a?", {.question_mark = true, .backslash_escapes = true}));
  EXPECT_FALSE(GlobMatch("a\\?", "ab", {.question_mark = true, .backslash_escapes = true}));
}

// A '*' in the pattern is a wildcard even where the text has a '*' at that place.
TEST(GlobTest, StarInTheTextDoesNotStopTheWildcard) {
  EXPECT_TRUE(GlobMatch("a*", "a*b", {.question_mark = true, .case_insensitive = true}));
  EXPECT_TRUE(GlobMatch("/img/*", "/img/*/x.png", {.question_mark = true}));
}

}  // namespace
}  // namespace wharf
