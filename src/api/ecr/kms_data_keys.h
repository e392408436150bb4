// KmsDataKeys: the registry's DataKeys over the region's KMS, in process. A repository's
// data key is 32 random bytes sealed by EncryptWith under its KMS key with the encryption
// context {"aws:ecr:arn": <repository ARN>}, as ECR's grants name it; every Open is a
// DecryptBlob, so the key's state (Disabled, PendingDeletion) decides each pull.
// Thread-safe (KMS calls are).
#pragma once

#include "api/kms/kms.h"
#include "registry/registry.h"

namespace wharf::api::ecr {

class KmsDataKeys final : public registry::DataKeys {
 public:
  explicit KmsDataKeys(const kms::KmsDeps& kms) : kms_(kms) {}
  Result<std::string> Open(std::string_view repository_arn, std::string_view wrapped_base64) override;
  Result<Made> Make(std::string_view repository_arn, std::string_view key_ref) override;

 private:
  const kms::KmsDeps& kms_;
};

// ECR's KmsException for a FailedPrecondition from DataKeys ("<KMS code>: <message>").
AwsError KmsException(const Status& status);

}  // namespace wharf::api::ecr
