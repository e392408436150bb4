#include "api/iam/policy_document.h"

#include "iam/policy.h"

namespace wharf::api::iam {

Status ValidatePolicyDocument(PolicyKind kind, std::string_view text) {
  ::wharf::iam::ParseOptions options;
  options.kind = kind == PolicyKind::kTrust ? ::wharf::iam::PolicyKind::kTrust : ::wharf::iam::PolicyKind::kIdentity;
  options.managed = kind == PolicyKind::kManaged;
  return ::wharf::iam::ParsePolicy(text, options).status();
}

size_t PolicySize(std::string_view text) { return ::wharf::iam::PolicySize(text); }

}  // namespace wharf::api::iam
