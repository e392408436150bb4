#include "api/authz/checks.h"

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {
const ServiceTable* const kTables[] = {&kEcsTable, &kElbv2Table, &kEcrTable, &kLogsTable,
                                       &kEc2Table, &kIamTable,   &kStsTable,  &kSecretsManagerTable,
                                       &kSsmTable, &kServiceDiscoveryTable, &kCloudWatchTable, &kKmsTable,
                                       &kApplicationAutoScalingTable, &kCloudFormationTable};

const ServiceTable* FindTable(std::string_view service) {
  for (const ServiceTable* t : kTables) {
    if (t->signing_name == service) return t;
  }
  return nullptr;
}
}  // namespace

std::string_view ActionPrefix(std::string_view service) {
  const ServiceTable* t = FindTable(service);
  return t ? t->prefix : service;
}

std::vector<Check> ChecksFor(std::string_view service, std::string_view operation,
                             const boost::json::object& input, const Scope& scope) {
  std::string_view prefix = ActionPrefix(service);
  Request r(prefix, input, scope);
  const ServiceTable* t = FindTable(service);
  if (t && t->checks(operation, r)) {
    std::vector<Check> out = r.Take();
    if (!out.empty() || r.no_permission_needed()) return out;
  }
  // Unknown (or a request that named none of its resources): the action of the same name
  // on "*", which is what a policy written for the operation would name.
  std::vector<Check> out(1);
  out[0].action.append(prefix).append(":").append(operation);
  return out;
}

std::vector<std::string_view> KnownOperations(std::string_view service) {
  const ServiceTable* t = FindTable(service);
  return t ? t->operations() : std::vector<std::string_view>{};
}

}  // namespace wharf::api::authz
