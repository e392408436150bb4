#include "api/iam/managed_policies.h"

#include <boost/json/parse.hpp>

#include "base/logging.h"
#include "model/json.h"

namespace wharf::api::iam {

// build/generated/iam_managed_policies.cc: the bytes of managed_policies.json.
extern const char kManagedPoliciesJson[];

namespace {

std::vector<ManagedPolicy> Parse() {
  std::vector<ManagedPolicy> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(kManagedPoliciesJson, ec);
  if (ec || !v.is_array()) {
    LOG_ERROR("msg=\"managed_policies.json does not parse\"");
    return out;
  }
  for (const auto& item : v.get_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.get_object();
    out.push_back(ManagedPolicy{wharf::GetString(o, "PolicyName"), wharf::GetString(o, "PolicyId"),
                                wharf::GetString(o, "Arn"), wharf::GetString(o, "Path"),
                                wharf::GetString(o, "DefaultVersionId"), wharf::GetString(o, "CreateDate"),
                                wharf::GetString(o, "UpdateDate"), wharf::GetString(o, "Document")});
  }
  return out;
}

}  // namespace

const std::vector<ManagedPolicy>& ManagedPolicies() {
  static const std::vector<ManagedPolicy> policies = Parse();
  return policies;
}

const ManagedPolicy* FindManagedPolicy(std::string_view arn) {
  for (const auto& p : ManagedPolicies()) {
    if (p.arn == arn) return &p;
  }
  return nullptr;
}

}  // namespace wharf::api::iam
