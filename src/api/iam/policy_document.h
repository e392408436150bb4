// The one check IAM runs on a policy document before storing it: the policy language's parser
// (src/iam/policy.h), which answers IAM's MalformedPolicyDocument messages. PolicySize is
// what IAM counts against its size quotas (characters, whitespace excluded).
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"

namespace wharf::api::iam {

enum class PolicyKind {
  kIdentity,  // inline policies: no Principal
  kManaged,   // managed policies and their versions, permissions boundaries: also Version 2012-10-17
  kTrust,     // a role's AssumeRolePolicyDocument: Principal, no Resource
};

// OK, or InvalidArgument with MalformedPolicyDocument's message as IAM words it.
Status ValidatePolicyDocument(PolicyKind kind, std::string_view text);
size_t PolicySize(std::string_view text);

}  // namespace wharf::api::iam
