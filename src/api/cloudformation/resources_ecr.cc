// AWS::ECR::Repository. Ref: the repository name; Fn::GetAtt Arn, RepositoryUri.
#include <boost/json/serialize.hpp>

#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

std::string Text(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : json::serialize(v); }

Result<ProvisionedResource> Describe(const Caller& c, const std::string& name) {
  ASSIGN_OR_RETURN(auto out, c.Call("ecr", "DescribeRepositories", {{"repositoryNames", json::array{json::string(name)}}}));
  const auto& repos = GetArray(out, "repositories");
  if (repos.empty() || !repos[0].is_object()) return Status::NotFound("repository " + name + " not found");
  const auto& repo = repos[0].get_object();
  return Made(name, {{"Arn", GetString(repo, "repositoryArn")}, {"RepositoryUri", GetString(repo, "repositoryUri")}});
}

Status ApplyPolicies(const Caller& c, const std::string& name, const json::object& p) {
  if (const auto* lifecycle = p.if_contains("LifecyclePolicy"); lifecycle && lifecycle->is_object()) {
    const auto& l = lifecycle->get_object();
    if (l.contains("LifecyclePolicyText")) {
      RETURN_IF_ERROR(c.Call("ecr", "PutLifecyclePolicy",
                             {{"repositoryName", name}, {"lifecyclePolicyText", Text(l.at("LifecyclePolicyText"))}})
                          .status());
    }
  }
  if (p.contains("RepositoryPolicyText")) {
    RETURN_IF_ERROR(c.Call("ecr", "SetRepositoryPolicy",
                           {{"repositoryName", name}, {"policyText", Text(p.at("RepositoryPolicyText"))}})
                        .status());
  }
  return Status::OK();
}

Result<ProvisionedResource> CreateRepository(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "RepositoryName");
  if (name.empty()) name = c.PhysicalName(id, 256, /*lower=*/true);
  json::object props = Without(p, {"RepositoryName", "LifecyclePolicy", "RepositoryPolicyText", "EmptyOnDelete"});
  props["RepositoryName"] = name;
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ecr", "CreateRepository"), props));
  RETURN_IF_ERROR(c.Call("ecr", "CreateRepository", std::move(input.get_object())).status());
  c.Record(name);
  RETURN_IF_ERROR(ApplyPolicies(c, name, p));
  return Describe(c, name);
}

Result<ProvisionedResource> UpdateRepository(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"RepositoryName", "EncryptionConfiguration", "Tags", "ImageTagMutability",
                           "ImageScanningConfiguration"})) {
    return controlplane::ReplacementNeeded("repository settings changed");
  }
  RETURN_IF_ERROR(ApplyPolicies(c, r.physical_id, p));
  return Describe(c, r.physical_id);
}

Status DeleteRepository(const Caller& c, const model::StackResource& r) {
  bool force = GetString(r.properties, "EmptyOnDelete") == "true" || GetBool(r.properties, "EmptyOnDelete").value_or(false);
  Outcome out = c.Try("ecr", "DeleteRepository", {{"repositoryName", r.physical_id}, {"force", force}});
  if (out.ok() || out.error().code == "RepositoryNotFoundException") return Status::OK();
  return Status::InvalidArgument(out.error().message);
}

}  // namespace

void AddEcrTypes(TypeTable& types) {
  types["AWS::ECR::Repository"] = {CreateRepository, UpdateRepository, DeleteRepository};
}

}  // namespace wharf::api::cloudformation
