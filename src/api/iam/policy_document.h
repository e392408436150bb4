// The one check IAM runs on a policy document before storing it. A placeholder until the
// policy language library (src/iam, parse/validate/evaluate) replaces it: a well-formed
// JSON object with Statement, each statement with Effect Allow/Deny and, as the kind of
// policy asks, Action/NotAction, Resource/NotResource and Principal/NotPrincipal; errors are
// InvalidArgument with MalformedPolicyDocument's message as AWS words it.
#pragma once

#include <string_view>

#include "base/status.h"

namespace wharf::api::iam {

enum class PolicyKind {
  kIdentity,  // managed and inline policies, permissions boundaries: no Principal
  kTrust,     // a role's AssumeRolePolicyDocument: Principal, no Resource
};

Status ValidatePolicyDocument(PolicyKind kind, std::string_view text);

}  // namespace wharf::api::iam
