// AWS::IAM::Role. Ref: the role name; Fn::GetAtt Arn, RoleId. Inline Policies become
// PutRolePolicy, ManagedPolicyArns AttachRolePolicy; deleting removes both first.
#include <boost/json/serialize.hpp>

#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

std::string Document(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : json::serialize(v); }

Status AttachPolicies(const Caller& c, const std::string& name, const json::object& p) {
  for (const auto& policy : GetArray(p, "Policies")) {
    if (!policy.is_object()) continue;
    const auto& o = policy.get_object();
    RETURN_IF_ERROR(c.Call("iam", "PutRolePolicy",
                           {{"RoleName", name},
                            {"PolicyName", GetString(o, "PolicyName")},
                            {"PolicyDocument", o.contains("PolicyDocument") ? Document(o.at("PolicyDocument")) : "{}"}})
                        .status());
  }
  for (const auto& arn : GetArray(p, "ManagedPolicyArns")) {
    if (!arn.is_string()) continue;
    RETURN_IF_ERROR(c.Call("iam", "AttachRolePolicy", {{"RoleName", name}, {"PolicyArn", arn}}).status());
  }
  return Status::OK();
}

Result<ProvisionedResource> CreateRole(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "RoleName");
  if (name.empty()) name = c.PhysicalName(id, 64);
  json::object props = Without(p, {"Policies", "ManagedPolicyArns", "RoleName", "AssumeRolePolicyDocument"});
  props["RoleName"] = name;
  if (p.contains("AssumeRolePolicyDocument")) props["AssumeRolePolicyDocument"] = Document(p.at("AssumeRolePolicyDocument"));
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("iam", "CreateRole"), props));
  ASSIGN_OR_RETURN(auto out, c.Call("iam", "CreateRole", std::move(input.get_object())));
  c.Record(name);
  const auto& role = GetObject(out, "Role");
  RETURN_IF_ERROR(AttachPolicies(c, name, p));
  return Made(name, {{"Arn", GetString(role, "Arn")}, {"RoleId", GetString(role, "RoleId")}});
}

Status DeleteRole(const Caller& c, const model::StackResource& r) {
  Outcome attached = c.Try("iam", "ListAttachedRolePolicies", {{"RoleName", r.physical_id}});
  if (!attached.ok()) return attached.error().code == "NoSuchEntity" ? Status::OK() : Status::InvalidArgument(attached.error().message);
  for (const auto& a : GetArray(attached.output(), "AttachedPolicies")) {
    if (!a.is_object()) continue;
    RETURN_IF_ERROR(c.Call("iam", "DetachRolePolicy", {{"RoleName", r.physical_id}, {"PolicyArn", GetString(a.get_object(), "PolicyArn")}})
                        .status());
  }
  ASSIGN_OR_RETURN(auto inline_policies, c.Call("iam", "ListRolePolicies", {{"RoleName", r.physical_id}}));
  for (const auto& name : GetArray(inline_policies, "PolicyNames")) {
    if (!name.is_string()) continue;
    RETURN_IF_ERROR(c.Call("iam", "DeleteRolePolicy", {{"RoleName", r.physical_id}, {"PolicyName", name}}).status());
  }
  Outcome out = c.Try("iam", "DeleteRole", {{"RoleName", r.physical_id}});
  if (out.ok() || out.error().code == "NoSuchEntity") return Status::OK();
  return Status::InvalidArgument(out.error().message);
}

}  // namespace

void AddIamTypes(TypeTable& types) { types["AWS::IAM::Role"] = {CreateRole, nullptr, DeleteRole}; }

}  // namespace wharf::api::cloudformation
