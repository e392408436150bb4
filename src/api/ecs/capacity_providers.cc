// CreateCapacityProvider, DescribeCapacityProviders, UpdateCapacityProvider,
// DeleteCapacityProvider.
//
// AWS has two kinds of capacity: the account's FARGATE and FARGATE_SPOT providers, which every
// account has and no one creates, changes or deletes, and providers one creates, each backed by
// an EC2 Auto Scaling group (autoScalingGroupProvider) or by instances ECS launches itself
// (managedInstancesProvider). wharf's Fargate is real (FARGATE_SPOT runs as FARGATE: wharf
// never reclaims capacity); it has neither EC2 Auto Scaling nor instances it launches, so no
// provider can be created: CreateCapacityProvider refuses both kinds with
// UnsupportedFeatureException rather than keeping a provider that would place nothing.
// DescribeCapacityProviders describes the two Fargate providers as AWS does.
#include <boost/json/array.hpp>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

constexpr const char* kFargateProviders[] = {"FARGATE", "FARGATE_SPOT"};
constexpr int64_t kMaxDescribed = 10;  // maxResults' upper bound in AWS's model

bool IsFargate(std::string_view name) { return name == "FARGATE" || name == "FARGATE_SPOT"; }

// "FARGATE" from "FARGATE" or ".../capacity-provider/FARGATE".
std::string ProviderName(std::string_view name_or_arn) {
  size_t at = name_or_arn.find(":capacity-provider/");
  return std::string(at == std::string_view::npos || !name_or_arn.starts_with("arn:")
                         ? name_or_arn
                         : name_or_arn.substr(at + 19));
}

json::object Provider(const EcsDeps& deps, std::string_view name, bool tags) {
  json::object p{{"capacityProviderArn", Arn(deps, "capacity-provider/" + std::string(name))},
                 {"name", name},
                 {"status", "ACTIVE"}};
  if (tags) p["tags"] = json::array();
  return p;
}

AwsError NoCapacityOutsideFargate(std::string_view kind) {
  return AwsError::Client("UnsupportedFeatureException",
                          "wharf has no " + std::string(kind) +
                              ", so it cannot create a capacity provider backed by one. Use the FARGATE or "
                              "FARGATE_SPOT capacity provider (PutClusterCapacityProviders).");
}

AwsError Reserved(std::string_view name) {
  return ClientError("The capacity provider " + std::string(name) +
                     " is managed by AWS Fargate and cannot be updated or deleted.");
}

AwsError NotFound() {
  return ClientError("The specified capacity provider does not exist. Specify a valid name or ARN and try again.");
}

}  // namespace

Outcome CreateCapacityProvider(const EcsDeps&, const RequestContext&, object& in) {
  const std::string name = GetString(in, "name");
  if (name.empty() || name.size() > 255 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos) {
    return ClientError("The capacity provider name is not valid. Up to 255 letters (uppercase and lowercase), "
                       "numbers, underscores and hyphens are allowed.");
  }
  for (const char* prefix : {"aws", "ecs", "fargate"}) {
    std::string lower;
    for (char c : name.substr(0, std::string_view(prefix).size())) lower += static_cast<char>(std::tolower(c));
    if (lower == prefix) {
      return ClientError("The capacity provider name can't be prefixed with \"aws\", \"ecs\", or \"fargate\".");
    }
  }
  if (Has(in, "autoScalingGroupProvider")) return NoCapacityOutsideFargate("EC2 Auto Scaling groups");
  if (Has(in, "managedInstancesProvider")) return NoCapacityOutsideFargate("ECS Managed Instances");
  return InvalidParameter("A capacity provider needs an autoScalingGroupProvider or a managedInstancesProvider.");
}

Outcome DescribeCapacityProviders(const EcsDeps& deps, const RequestContext&, object& in) {
  size_t page_size = 0;
  if (auto err = PageSize(in, kMaxDescribed, page_size)) return *err;
  size_t start = 0;
  if (std::string token = GetString(in, "nextToken"); !token.empty()) {
    auto index = ReadIndexToken(token);
    if (!index) return InvalidParameter("Invalid nextToken.");
    start = *index;
  }
  bool tags = false;
  for (const auto& i : GetArray(in, "include")) tags = tags || (i.is_string() && i.get_string() == "TAGS");

  // The names asked for (all by default), then only those the cluster has, when one is named.
  std::vector<std::string> wanted;
  json::array failures;
  if (GetArray(in, "capacityProviders").empty()) {
    for (const char* n : kFargateProviders) wanted.emplace_back(n);
  }
  for (const auto& v : GetArray(in, "capacityProviders")) {
    std::string name = ProviderName(v.get_string());
    if (IsFargate(name)) {
      wanted.push_back(name);
    } else {
      std::string arn = std::string(v.get_string()).starts_with("arn:") ? std::string(v.get_string())
                                                                      : Arn(deps, "capacity-provider/" + name);
      failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
    }
  }
  if (Has(in, "cluster")) {
    ASSIGN_OR_FAIL(auto cluster, ReadRecord(deps.store, ClusterKey(ClusterName(GetString(in, "cluster")))), EcsError);
    if (!cluster || GetString(cluster->value, "status") != "ACTIVE") return ClusterNotFound();
    std::vector<std::string> in_cluster;
    for (const auto& name : wanted) {
      for (const auto& p : GetArray(cluster->value, "capacityProviders")) {
        if (p.is_string() && p.get_string() == name) in_cluster.push_back(name);
      }
    }
    wanted = std::move(in_cluster);
  }

  json::array out;
  for (size_t i = start; i < wanted.size() && out.size() < page_size; ++i) out.push_back(Provider(deps, wanted[i], tags));
  json::object result{{"capacityProviders", std::move(out)}, {"failures", std::move(failures)}};
  if (start + page_size < wanted.size()) result["nextToken"] = MakeIndexToken(start + page_size);
  return result;
}

Outcome UpdateCapacityProvider(const EcsDeps&, const RequestContext&, object& in) {
  std::string name = ProviderName(GetString(in, "name"));
  if (IsFargate(name)) return Reserved(name);
  return NotFound();  // none other can exist: see CreateCapacityProvider
}

Outcome DeleteCapacityProvider(const EcsDeps&, const RequestContext&, object& in) {
  std::string name = ProviderName(GetString(in, "capacityProvider"));
  if (IsFargate(name)) return Reserved(name);
  return NotFound();
}

}  // namespace wharf::api::ecs
