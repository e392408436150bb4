// What the per-service tables share: reading the request input, building ARNs in the
// request's account and region, and collecting the checks. Internal to src/api/authz.
#pragma once

#include <boost/json/value.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/authz/checks.h"

namespace wharf::api::authz {

class Request {
 public:
  Request(std::string_view prefix, const boost::json::object& input, const Scope& scope)
      : prefix_(prefix), input_(input), scope_(scope) {}

  const Scope& scope() const { return scope_; }

  // Input members. A missing member, or one of another type, reads as empty.
  const boost::json::value* Get(std::string_view member) const { return input_.if_contains(member); }
  std::string_view Str(std::string_view member) const;
  // A list of strings (or one string) as a list.
  std::vector<std::string_view> Strs(std::string_view member) const;

  // arn:aws:<service>:<region>:<account>:<resource>; `account` overrides the request's
  // (ECR's registryId).
  std::string Arn(std::string_view service, std::string_view resource, std::string_view account = {}) const;
  // Global services (IAM): arn:aws:iam::<account>:<resource>.
  std::string GlobalArn(std::string_view service, std::string_view resource) const;

  // Adds the check of `action` ("DescribeServices" in this service, or a full
  // "iam:PassRole"). The reference is valid until the next Need.
  Check& Need(std::string_view action, std::string resource = "*");

  // The operation needs no permission at all (sts:GetCallerIdentity). Otherwise an
  // operation that produced no check (its resource member missing) is checked as the action
  // on "*", so a malformed request is never let through unchecked.
  void NoPermissionNeeded() { no_permission_needed_ = true; }
  bool no_permission_needed() const { return no_permission_needed_; }

  std::vector<Check> Take() { return std::move(checks_); }

 private:
  std::string_view prefix_;
  const boost::json::object& input_;
  const Scope& scope_;
  std::vector<Check> checks_;
  bool no_permission_needed_ = false;
};

void AddKey(Check& check, std::string key, std::string value);
// aws:RequestTag/<key> for each tag and aws:TagKeys, from a tags member in any of the forms
// the services use: [{"key","value"}] (ECS), [{"Key","Value"}] (ELBv2, ECR, IAM, EC2) or a
// {key: value} map (CloudWatch Logs).
void AddRequestTags(Check& check, const boost::json::value* tags);
// aws:TagKeys from a list of tag keys (the Untag operations).
void AddTagKeys(Check& check, const boost::json::value* keys);
bool HasTags(const boost::json::value* tags);

// iam:PassRole on `role` (an ARN, or a role name in the request's account) with
// iam:PassedToService, when `role` is set.
void PassRole(Request& r, std::string_view role, std::string_view passed_to_service);

// The per-service tables (ecs_checks.cc, ...). Each adds the checks of `operation` and
// returns true, or returns false for an operation it does not know.
struct ServiceTable {
  std::string_view signing_name;
  std::string_view prefix;
  bool (*checks)(std::string_view operation, Request& r);
  std::vector<std::string_view> (*operations)();
};
extern const ServiceTable kEcsTable, kElbv2Table, kEcrTable, kLogsTable, kEc2Table, kIamTable, kStsTable,
    kSecretsManagerTable, kSsmTable, kServiceDiscoveryTable, kCloudWatchTable, kKmsTable,
    kApplicationAutoScalingTable, kCloudFormationTable;

// A table of operation -> rule, searched by name.
using Rule = void (*)(Request&);
struct Entry {
  std::string_view operation;
  Rule rule;
};
bool RunEntry(std::span<const Entry> table, std::string_view operation, Request& r);
std::vector<std::string_view> EntryNames(std::span<const Entry> table);

}  // namespace wharf::api::authz
