// AWS::SecretsManager::Secret (Ref: the secret ARN; GetAtt Id) and AWS::SSM::Parameter (Ref:
// the parameter name; GetAtt Type, Value), as the AWS resource reference documents them.
//
// A secret's value is SecretString, or one GenerateSecretString makes with GetRandomPassword:
// alone, or put under GenerateStringKey into the JSON object of SecretStringTemplate. Deleting
// a secret deletes it at once (no recovery window), as CloudFormation does. A parameter's value,
// description, pattern, tier and policies change in place (PutParameter with Overwrite).
#include <boost/json/serialize.hpp>

#include "api/cloudformation/resource_types.h"
#include "model/json.h"

namespace wharf::api::cloudformation {
namespace json = boost::json;
using controlplane::ProvisionedResource;

namespace {

// The secret string GenerateSecretString describes.
Result<std::string> Generate(const Caller& c, const json::value& spec) {
  if (!spec.is_object()) return Status::InvalidArgument("Properties validation failed: #/GenerateSecretString: expected type: JSONObject");
  const json::object& g = spec.get_object();
  std::string key = GetString(g, "GenerateStringKey"), templ = GetString(g, "SecretStringTemplate");
  if (key.empty() != templ.empty()) {
    return Status::InvalidArgument("Properties validation failed: GenerateStringKey and SecretStringTemplate go together");
  }
  ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("secretsmanager", "GetRandomPassword"),
                                           Without(g, {"GenerateStringKey", "SecretStringTemplate"})));
  ASSIGN_OR_RETURN(auto out, c.Call("secretsmanager", "GetRandomPassword", std::move(in.get_object())));
  std::string password = GetString(out, "RandomPassword");
  if (key.empty()) return password;
  auto object = ParseObject(templ);
  if (!object.ok()) return Status::InvalidArgument("SecretStringTemplate is not a JSON object: " + object.status().message());
  (*object)[key] = password;
  return json::serialize(*object);
}

Result<std::string> SecretValue(const Caller& c, const json::object& p) {
  if (p.contains("SecretString") && p.contains("GenerateSecretString")) {
    return Status::InvalidArgument("You can't specify both SecretString and GenerateSecretString");
  }
  if (p.contains("GenerateSecretString")) return Generate(c, p.at("GenerateSecretString"));
  if (p.contains("SecretString")) return GetString(p, "SecretString");
  return Generate(c, json::object());  // a secret needs a value: CloudFormation generates one
}

Result<ProvisionedResource> CreateSecret(const Caller& c, std::string_view id, const json::object& p) {
  RETURN_IF_ERROR(RefuseProperties(p, {"ReplicaRegions"}));
  std::string name = GetString(p, "Name");
  if (name.empty()) name = c.PhysicalName(id, 256);
  ASSIGN_OR_RETURN(std::string value, SecretValue(c, p));
  json::object in = Without(p, {"GenerateSecretString", "SecretString", "Name"});
  in["Name"] = name;
  in["SecretString"] = value;
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("secretsmanager", "CreateSecret"), in));
  ASSIGN_OR_RETURN(auto out, c.Call("secretsmanager", "CreateSecret", std::move(input.get_object())));
  std::string arn = GetString(out, "ARN");
  return Made(arn, {{"Id", arn}});
}

Result<ProvisionedResource> UpdateSecret(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"Name", "ReplicaRegions"})) return controlplane::ReplacementNeeded("Name changed");
  const std::string& arn = r.physical_id;
  if (AnyChanged(changed, {"Description", "KmsKeyId"})) {
    json::object in{{"SecretId", arn}, {"Description", GetString(p, "Description")}};
    if (p.contains("KmsKeyId")) in["KmsKeyId"] = p.at("KmsKeyId");
    RETURN_IF_ERROR(c.Call("secretsmanager", "UpdateSecret", std::move(in)).status());
  }
  if (AnyChanged(changed, {"SecretString", "GenerateSecretString"})) {
    ASSIGN_OR_RETURN(std::string value, SecretValue(c, p));
    RETURN_IF_ERROR(c.Call("secretsmanager", "PutSecretValue", {{"SecretId", arn}, {"SecretString", value}}).status());
  }
  if (AnyChanged(changed, {"Tags"})) {
    json::array keys;
    for (const auto& [k, v] : r.properties.contains("Tags") ? TagMap(r.properties.at("Tags")) : json::object()) {
      keys.push_back(json::string(k));
    }
    if (!keys.empty()) RETURN_IF_ERROR(c.Call("secretsmanager", "UntagResource", {{"SecretId", arn}, {"TagKeys", std::move(keys)}}).status());
    if (const auto* tags = p.if_contains("Tags"); tags && tags->is_array() && !tags->get_array().empty()) {
      ASSIGN_OR_RETURN(json::value in, ToInput(InputShape("secretsmanager", "TagResource"),
                                               json::object{{"SecretId", arn}, {"Tags", *tags}}));
      RETURN_IF_ERROR(c.Call("secretsmanager", "TagResource", std::move(in.get_object())).status());
    }
  }
  return Made(arn, {{"Id", arn}});
}

Status DeleteSecret(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("secretsmanager", "DeleteSecret", {{"SecretId", r.physical_id}, {"ForceDeleteWithoutRecovery", true}}),
              {"ResourceNotFoundException"});
}

// ---- SSM::Parameter ----

json::array SsmTags(const json::object& p) {
  json::array out;
  const json::value* tags = p.if_contains("Tags");
  if (!tags || !tags->is_object()) return out;
  for (const auto& [k, v] : tags->get_object()) out.push_back(json::object{{"Key", k}, {"Value", v}});
  return out;
}

Result<json::object> PutInput(const std::string& name, const json::object& p, bool overwrite) {
  std::string type = GetString(p, "Type");
  if (type != "String" && type != "StringList") {
    return Status::InvalidArgument("Properties validation failed: #/Type: " + type + " is not a valid enum value "
                                   "(CloudFormation makes String and StringList parameters)");
  }
  json::object in = Without(p, {"Name", "Tags"});
  in["Name"] = name;
  if (overwrite) {
    in["Overwrite"] = true;
  } else if (auto tags = SsmTags(p); !tags.empty()) {
    in["Tags"] = std::move(tags);
  }
  ASSIGN_OR_RETURN(json::value input, ToInput(InputShape("ssm", "PutParameter"), in));
  return std::move(input.get_object());
}

ProvisionedResource ParameterMade(const std::string& name, const json::object& p) {
  return Made(name, {{"Type", GetString(p, "Type")}, {"Value", GetString(p, "Value")}});
}

Result<ProvisionedResource> CreateParameter(const Caller& c, std::string_view id, const json::object& p) {
  std::string name = GetString(p, "Name");
  if (name.empty()) name = "CFN-" + c.PhysicalName(id, 1000);
  ASSIGN_OR_RETURN(auto in, PutInput(name, p, false));
  RETURN_IF_ERROR(c.Call("ssm", "PutParameter", std::move(in)).status());
  return ParameterMade(name, p);
}

Result<ProvisionedResource> UpdateParameter(const Caller& c, const model::StackResource& r, const json::object& p) {
  auto changed = Changed(r.properties, p);
  if (AnyChanged(changed, {"Name"})) return controlplane::ReplacementNeeded("Name changed");
  const std::string& name = r.physical_id;
  ASSIGN_OR_RETURN(auto in, PutInput(name, p, true));
  RETURN_IF_ERROR(c.Call("ssm", "PutParameter", std::move(in)).status());
  if (AnyChanged(changed, {"Tags"})) {
    json::array keys;
    if (const auto* old = r.properties.if_contains("Tags"); old && old->is_object()) {
      for (const auto& [k, v] : old->get_object()) keys.push_back(json::string(k));
    }
    json::object target{{"ResourceType", "Parameter"}, {"ResourceId", name}};
    if (!keys.empty()) {
      json::object remove = target;
      remove["TagKeys"] = std::move(keys);
      RETURN_IF_ERROR(c.Call("ssm", "RemoveTagsFromResource", std::move(remove)).status());
    }
    if (auto tags = SsmTags(p); !tags.empty()) {
      json::object add = target;
      add["Tags"] = std::move(tags);
      RETURN_IF_ERROR(c.Call("ssm", "AddTagsToResource", std::move(add)).status());
    }
  }
  return ParameterMade(name, p);
}

Status DeleteParameter(const Caller& c, const model::StackResource& r) {
  return OkOr(c.Try("ssm", "DeleteParameter", {{"Name", r.physical_id}}), {"ParameterNotFound"});
}

}  // namespace

void AddSecretsManagerTypes(TypeTable& types) {
  types["AWS::SecretsManager::Secret"] = {CreateSecret, UpdateSecret, DeleteSecret};
}

void AddSsmTypes(TypeTable& types) { types["AWS::SSM::Parameter"] = {CreateParameter, UpdateParameter, DeleteParameter}; }

}  // namespace wharf::api::cloudformation
