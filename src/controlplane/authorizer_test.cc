#include "controlplane/authorizer.h"

#include <gtest/gtest.h>

namespace wharf::controlplane {
namespace {

// Keys are kept lowercased, as the policy parser gives them; the request side may spell them
// in any case. A prefix tells the front door whether to read a resource's tags at all.
TEST(CallerPolicies, UsesAKeyOrAPrefixInAnyCase) {
  CallerPolicies p;
  p.keys_used = {"aws:resourcetag/team", "aws:sourceip"};
  EXPECT_TRUE(p.Uses("aws:ResourceTag/team"));
  EXPECT_FALSE(p.Uses("aws:ResourceTag/other"));
  EXPECT_TRUE(p.UsesPrefix("aws:ResourceTag/"));
  EXPECT_FALSE(p.UsesPrefix("secretsmanager:ResourceTag/"));
  EXPECT_FALSE(p.UsesPrefix("aws:sourceipv6"));

  CallerPolicies variables;  // a policy variable may read any key
  variables.uses_every_key = true;
  EXPECT_TRUE(variables.UsesPrefix("secretsmanager:ResourceTag/"));
}

}  // namespace
}  // namespace wharf::controlplane
