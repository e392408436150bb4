// ECR repository records: ecr/repositories/<repo> holds
//   {"repository": <Repository shape>, "tags", "policyText", "lifecyclePolicyText", "lifecyclePreview",
//    "dataKey", "blobNamespace"}
// A repository encrypted with KMS keeps its data key wrapped by its KMS key (`dataKey`, the
// ciphertext blob in base64, encryption context {"aws:ecr:arn": <repository ARN>}) and the
// directory of its sealed blobs (`blobNamespace`, 32 hex digits, new for every repository).
// (docs/STATE.md; in the key a name's '/' is written ':'). RepositoryRecord is the typed view
// of what the registry decides with. A view: the record must outlive it. Pure.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

namespace wharf::model {

class RepositoryRecord {
 public:
  explicit RepositoryRecord(const boost::json::object& record) : record_(record) {}

  const boost::json::object& shape() const;  // the Repository shape
  std::string name() const;
  std::string arn() const;
  std::string uri() const;
  // MUTABLE (the default), IMMUTABLE, or either WITH_EXCLUSION.
  std::string tag_mutability() const;
  // The imageTagMutabilityExclusionFilters' wildcard patterns.
  std::vector<std::string> tag_mutability_exclusions() const;
  std::string policy_text() const;
  std::string lifecycle_policy_text() const;
  // encryptionConfiguration: AES256 (the default) or KMS with its key's ARN.
  std::string encryption_type() const;
  std::string kms_key() const;
  bool sealed() const { return encryption_type() == "KMS"; }
  std::string wrapped_data_key() const;  // base64
  std::string blob_namespace() const;

 private:
  const boost::json::object& record_;
};

}  // namespace wharf::model
