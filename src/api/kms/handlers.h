// The KMS operations, one function each.
#pragma once

#include "api/kms/common.h"

namespace wharf::api::kms {

#define WHARF_KMS_OP(name) Outcome name(const KmsDeps& deps, const RequestContext& ctx, object& in)
// keys.cc
WHARF_KMS_OP(CreateKey);
WHARF_KMS_OP(DescribeKey);
WHARF_KMS_OP(ListKeys);
WHARF_KMS_OP(UpdateKeyDescription);
WHARF_KMS_OP(EnableKey);
WHARF_KMS_OP(DisableKey);
WHARF_KMS_OP(ScheduleKeyDeletion);
WHARF_KMS_OP(CancelKeyDeletion);
WHARF_KMS_OP(EnableKeyRotation);
WHARF_KMS_OP(DisableKeyRotation);
WHARF_KMS_OP(GetKeyRotationStatus);
WHARF_KMS_OP(RotateKeyOnDemand);
WHARF_KMS_OP(ListKeyRotations);
WHARF_KMS_OP(GetKeyPolicy);
WHARF_KMS_OP(PutKeyPolicy);
WHARF_KMS_OP(ListKeyPolicies);
WHARF_KMS_OP(TagResource);
WHARF_KMS_OP(UntagResource);
WHARF_KMS_OP(ListResourceTags);
// aliases.cc
WHARF_KMS_OP(CreateAlias);
WHARF_KMS_OP(DeleteAlias);
WHARF_KMS_OP(UpdateAlias);
WHARF_KMS_OP(ListAliases);
// crypto.cc
WHARF_KMS_OP(Encrypt);
WHARF_KMS_OP(Decrypt);
WHARF_KMS_OP(ReEncrypt);
WHARF_KMS_OP(GenerateDataKey);
WHARF_KMS_OP(GenerateDataKeyWithoutPlaintext);
WHARF_KMS_OP(GenerateRandom);
// signing.cc
WHARF_KMS_OP(Sign);
WHARF_KMS_OP(Verify);
WHARF_KMS_OP(GetPublicKey);
WHARF_KMS_OP(GenerateMac);
WHARF_KMS_OP(VerifyMac);
// grants.cc
WHARF_KMS_OP(CreateGrant);
WHARF_KMS_OP(ListGrants);
WHARF_KMS_OP(RetireGrant);
WHARF_KMS_OP(RevokeGrant);
#undef WHARF_KMS_OP

// The key policy, grants and aliases as the front door's authorization reads them
// (key_authorization.cc).
void AddKeyAuthorization(const KmsDeps& deps, ServiceEndpoint& endpoint);

// CreateKey's and PutKeyPolicy's policy lockout safety check: unless the request sets
// BypassPolicyLockoutSafetyCheck, a policy that would not let the caller call PutKeyPolicy on
// the key (by itself, or by naming the account and so deferring to the caller's IAM
// policies) is refused with MalformedPolicyDocumentException.
std::optional<AwsError> CheckPolicyLockout(const KmsDeps& deps, const RequestContext& ctx, const object& in,
                                           const std::string& policy, std::string_view key_arn);

}  // namespace wharf::api::kms
