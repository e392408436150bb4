// ECR repository records: ecr/repositories/<repo> holds
//   {"repository": <Repository shape>, "tags", "policyText", "lifecyclePolicyText", "lifecyclePreview"}
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

 private:
  const boost::json::object& record_;
};

}  // namespace wharf::model
