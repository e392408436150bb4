#include "api/kms/kms.h"

#include "api/kms/handlers.h"

namespace wharf::api::kms {

Result<ServiceEndpoint> MakeKmsEndpoint(const KmsDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("kms"));
  endpoint.validation_error = "ValidationException";
  endpoint.to_error = KmsError;
  using Fn = Outcome (*)(const KmsDeps&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"CreateKey", CreateKey},
      {"DescribeKey", DescribeKey},
      {"ListKeys", ListKeys},
      {"UpdateKeyDescription", UpdateKeyDescription},
      {"EnableKey", EnableKey},
      {"DisableKey", DisableKey},
      {"ScheduleKeyDeletion", ScheduleKeyDeletion},
      {"CancelKeyDeletion", CancelKeyDeletion},
      {"EnableKeyRotation", EnableKeyRotation},
      {"DisableKeyRotation", DisableKeyRotation},
      {"GetKeyRotationStatus", GetKeyRotationStatus},
      {"RotateKeyOnDemand", RotateKeyOnDemand},
      {"ListKeyRotations", ListKeyRotations},
      {"GetKeyPolicy", GetKeyPolicy},
      {"PutKeyPolicy", PutKeyPolicy},
      {"ListKeyPolicies", ListKeyPolicies},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"ListResourceTags", ListResourceTags},
      {"CreateAlias", CreateAlias},
      {"DeleteAlias", DeleteAlias},
      {"UpdateAlias", UpdateAlias},
      {"ListAliases", ListAliases},
      {"Encrypt", Encrypt},
      {"Decrypt", Decrypt},
      {"ReEncrypt", ReEncrypt},
      {"GenerateDataKey", GenerateDataKey},
      {"GenerateDataKeyWithoutPlaintext", GenerateDataKeyWithoutPlaintext},
      {"GenerateRandom", GenerateRandom},
      {"Sign", Sign},
      {"Verify", Verify},
      {"GetPublicKey", GetPublicKey},
      {"GenerateMac", GenerateMac},
      {"VerifyMac", VerifyMac},
      {"CreateGrant", CreateGrant},
      {"ListGrants", ListGrants},
      {"RetireGrant", RetireGrant},
      {"RevokeGrant", RevokeGrant},
  };
  const KmsDeps* d = &deps;
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) return Status::Internal(std::string("KMS model has no ") + name);
    endpoint.operations[name] = [d, fn = fn](const RequestContext& ctx, object& in) { return fn(*d, ctx, in); };
  }
  AddKeyAuthorization(deps, endpoint);
  return endpoint;
}

}  // namespace wharf::api::kms
