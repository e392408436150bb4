// The AWS managed policies wharf knows, with AWS's documents (managed_policies.json, made by
// scripts/gen-managed-policies.py and compiled in). Parsed once, at first use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wharf::api::iam {

struct ManagedPolicy {
  std::string name;
  std::string id;
  std::string arn;
  std::string path;
  std::string default_version;  // "v1"
  std::string create_date;      // ISO 8601, as AWS shows it
  std::string update_date;
  std::string document;         // the default version's document, JSON text
};

const std::vector<ManagedPolicy>& ManagedPolicies();
const ManagedPolicy* FindManagedPolicy(std::string_view arn);

}  // namespace wharf::api::iam
