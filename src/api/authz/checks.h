// The IAM actions, resources and condition keys each operation needs allowed, as the
// Service Authorization Reference lists them (docs/IAM_POLICY.md).
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wharf::api::authz {

struct Scope {
  std::string_view region;
  std::string_view account;
};

struct Check {
  std::string action;            // "ecs:DescribeServices"
  std::string resource = "*";    // one resource ARN, or "*"
  std::vector<std::pair<std::string, std::string>> keys;  // service condition keys
};

// Every (action, resource) pair the operation needs allowed, in the order AWS checks them.
// `service` is the SigV4 signing name. Empty: the operation needs no permission.
std::vector<Check> ChecksFor(std::string_view service, std::string_view operation,
                             const boost::json::object& input, const Scope& scope);
// The ECR actions a registry (/v2/) request needs.
std::vector<Check> RegistryChecks(std::string_view method, std::string_view path, const Scope& scope);

}  // namespace wharf::api::authz
