// Parameters: put (new versions), get with selectors, delete, history, labels.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <algorithm>
#include <regex>

#include "api/ssm/handlers.h"
#include "base/crypto.h"

namespace wharf::api::ssm {
namespace json = boost::json;
namespace {

constexpr size_t kStandardMax = 4096;
constexpr size_t kAdvancedMax = 8192;

std::optional<AwsError> CheckName(const std::string& name) {
  Status s = model::CheckParameterName(name);
  if (s.ok()) return std::nullopt;
  if (s.code() == Status::Code::kFailedPrecondition) {
    return AwsError::Client("HierarchyLevelLimitExceededException", s.message());
  }
  return Validation(s.message());
}

std::optional<AwsError> CheckPattern(const std::string& pattern, const std::string& value) {
  if (pattern.empty()) return std::nullopt;
  try {
    if (!std::regex_match(value, std::regex(pattern))) {
      return AwsError::Client("ParameterPatternMismatchException",
                              "Parameter value failed to satisfy constraint specified in AllowedPattern: " + pattern);
    }
  } catch (const std::regex_error&) {
    return AwsError::Client("InvalidAllowedPatternException", "The request doesn't meet the regular expression "
                                                              "requirement: " + pattern);
  }
  return std::nullopt;
}

std::string Tier(const std::string& asked, const std::string& existing, size_t size, bool policies) {
  if (asked == "Intelligent-Tiering") return size > kStandardMax || policies ? "Advanced" : "Standard";
  if (!asked.empty()) return asked;
  return existing == "Advanced" ? "Advanced" : "Standard";
}

// The version a selector names; ParameterVersionNotFound / ParameterNotFound.
std::variant<const ParameterVersion*, AwsError> Select(const Parameter& p, const model::ParameterSelector& s) {
  if (s.version) {
    if (const ParameterVersion* v = p.FindVersion(*s.version)) return v;
    return AwsError::Client("ParameterVersionNotFound", "Systems Manager could not find version " +
                                                            std::to_string(*s.version) + " of " + p.name +
                                                            ". Verify the version and try again.");
  }
  if (!s.label.empty()) {
    if (const ParameterVersion* v = p.FindLabel(s.label)) return v;
    return AwsError::Client("ParameterVersionNotFound", "Systems Manager could not find label " + s.label + " of " +
                                                            p.name + ". Verify the label and try again.");
  }
  return &p.latest();
}

std::variant<object, AwsError> GetOne(const SsmDeps& deps, const std::string& id, bool decrypt) {
  model::ParameterSelector s = model::ParseSelector(NameOf(deps, id));
  auto loaded = LoadParameter(deps, s.name);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const Parameter& p = std::get<StoredParameter>(loaded).parameter;
  auto v = Select(p, s);
  if (auto* err = std::get_if<AwsError>(&v)) return *err;
  return Present(deps, p, *std::get<const ParameterVersion*>(v), decrypt, s.selector);
}

std::vector<std::string> Strings(const json::array& a) {
  std::vector<std::string> out;
  for (const auto& v : a) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

json::array Array(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

}  // namespace

Outcome PutParameter(const SsmDeps& deps, const RequestContext& ctx, object& in) {
  std::string name = NameOf(deps, GetString(in, "Name"));
  if (auto err = CheckName(name)) return *err;
  std::string value = GetString(in, "Value");
  bool overwrite = GetBool(in, "Overwrite").value_or(false);
  if (overwrite && !GetArray(in, "Tags").empty()) {
    return Validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, "
                      "please remove overwrite flag. To update tags for an existing parameter, please use "
                      "AddTagsToResource or RemoveTagsFromResource.");
  }
  std::string data_type = GetString(in, "DataType", "text");
  if (data_type != "text" && data_type != "aws:ec2:image" && data_type != "aws:ssm:integration") {
    return Validation("The following data type is not supported: " + data_type +
                      " (Data type names are all lowercase.)");
  }
  if (data_type == "aws:ec2:image" && !std::regex_match(value, std::regex("ami-[0-9a-f]{8,17}"))) {
    return Validation("The parameter value must be a valid AMI ID (ami-...) for data type aws:ec2:image.");
  }
  // Sealing happens before the write (it may make the AWS managed key, a write of its own).
  auto existing = LoadParameter(deps, name);
  const Parameter* before = std::holds_alternative<StoredParameter>(existing)
                                ? &std::get<StoredParameter>(existing).parameter : nullptr;
  std::string type = GetString(in, "Type", before ? before->latest().type : "");
  if (type.empty()) return Validation("A parameter type is required when you create a parameter.");
  if (Has(in, "KeyId") && type != "SecureString") {
    return Validation("KeyId is required for SecureString type parameter only.");
  }
  if (type == "StringList" && value.find(',') == 0) return Validation("StringList values can't begin with a comma.");
  ParameterVersion v;
  v.type = type;
  v.data_type = data_type;
  v.description = Has(in, "Description") ? GetString(in, "Description") : (before ? before->latest().description : "");
  v.allowed_pattern = Has(in, "AllowedPattern") ? GetString(in, "AllowedPattern")
                                                : (before ? before->latest().allowed_pattern : "");
  if (auto err = CheckPattern(v.allowed_pattern, value)) return *err;
  if (Has(in, "Policies")) {
    boost::system::error_code ec;
    json::value parsed = json::parse(GetString(in, "Policies"), ec);
    if (ec || !parsed.is_array()) return AwsError::Client("InvalidPolicyTypeException", "Policies must be a JSON array.");
    v.policies = parsed.as_array();
  }
  v.tier = Tier(GetString(in, "Tier"), before ? before->latest().tier : "", value.size(), !v.policies.empty());
  if (before && before->latest().tier == "Advanced" && v.tier == "Standard") {
    return Validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
                      "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the "
                      "advanced parameter and recreate it as a standard parameter.");
  }
  if (v.tier == "Standard" && !v.policies.empty()) {
    return Validation("Parameter policies are supported only for advanced-parameter tier parameters.");
  }
  if (value.size() > (v.tier == "Advanced" ? kAdvancedMax : kStandardMax)) {
    return Validation(v.tier == "Advanced"
                          ? "Advanced tier parameters support a maximum parameter value of 8192 characters."
                          : "Standard tier parameters support a maximum parameter value of 4096 characters. To create "
                            "a larger parameter value, upgrade the parameter to use the advanced-parameter tier.");
  }
  if (type == "SecureString") {
    v.key_id = GetString(in, "KeyId", before && before->latest().type == "SecureString" && !Has(in, "KeyId")
                                          ? before->latest().key_id
                                          : std::string(kDefaultKey));
    auto sealed = kms::EncryptWith(deps.kms, v.key_id, value, {{"PARAMETER_ARN", ParameterArn(deps, name)}});
    if (auto* err = std::get_if<AwsError>(&sealed)) {
      return AwsError::Client("InvalidKeyId", err->code + ": " + err->message);
    }
    v.ciphertext = Base64Encode(std::get<kms::Sealed>(sealed).blob);
  } else {
    v.value = value;
  }
  v.modified = Now(deps);
  v.modified_user = ctx.principal_arn;
  json::array tags = GetArray(in, "Tags");
  return ChangeParameter(deps, name, [&](std::optional<Parameter>& p) -> std::variant<object, AwsError> {
    if (p && !overwrite) {
      return AwsError::Client("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set "
                                                        "the overwrite option in the request to true.");
    }
    if (!p) {
      p = Parameter{name, tags, {}};
      v.version = 1;
    } else {
      v.version = p->latest().version + 1;
      if (p->versions.size() >= model::kMaxParameterVersions) {
        if (!p->versions.front().labels.empty()) {
          return AwsError::Client("ParameterMaxVersionLimitExceeded",
                                  "You attempted to create a new version of " + name + " by calling the PutParameter "
                                  "API with the overwrite flag. Version " + std::to_string(p->versions.front().version) +
                                  ", the oldest version, can't be deleted because it has a label associated with it. "
                                  "Move the label to another version of the parameter, and try again.");
        }
        p->versions.erase(p->versions.begin());
      }
    }
    p->versions.push_back(v);
    return object{{"Version", v.version}, {"Tier", v.tier}};
  });
}

Outcome GetParameter(const SsmDeps& deps, const RequestContext&, object& in) {
  auto got = GetOne(deps, GetString(in, "Name"), GetBool(in, "WithDecryption").value_or(false));
  if (auto* err = std::get_if<AwsError>(&got)) return *err;
  return object{{"Parameter", std::move(std::get<object>(got))}};
}

Outcome GetParameters(const SsmDeps& deps, const RequestContext&, object& in) {
  bool decrypt = GetBool(in, "WithDecryption").value_or(false);
  json::array found, invalid;
  for (const auto& name : Strings(GetArray(in, "Names"))) {
    auto got = GetOne(deps, name, decrypt);
    if (auto* err = std::get_if<AwsError>(&got)) {
      if (err->code == "InvalidKeyId" || err->http_status >= 500) return *err;
      invalid.emplace_back(name);
    } else {
      found.push_back(std::move(std::get<object>(got)));
    }
  }
  return object{{"Parameters", std::move(found)}, {"InvalidParameters", std::move(invalid)}};
}

Outcome DeleteParameter(const SsmDeps& deps, const RequestContext&, object& in) {
  return ChangeParameter(deps, NameOf(deps, GetString(in, "Name")),
                         [](std::optional<Parameter>& p) -> std::variant<object, AwsError> {
                           if (!p) return NotFound();
                           p.reset();
                           return object{};
                         });
}

Outcome DeleteParameters(const SsmDeps& deps, const RequestContext&, object& in) {
  json::array deleted, invalid;
  for (const auto& name : Strings(GetArray(in, "Names"))) {
    Outcome out = ChangeParameter(deps, NameOf(deps, name), [](std::optional<Parameter>& p) -> std::variant<object, AwsError> {
      if (!p) return NotFound();
      p.reset();
      return object{};
    });
    if (out.ok()) {
      deleted.emplace_back(name);
    } else if (out.error().code == "ParameterNotFound") {
      invalid.emplace_back(name);
    } else {
      return out;
    }
  }
  return object{{"DeletedParameters", std::move(deleted)}, {"InvalidParameters", std::move(invalid)}};
}

Outcome GetParameterHistory(const SsmDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadParameter(deps, NameOf(deps, GetString(in, "Name")));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const Parameter& p = std::get<StoredParameter>(loaded).parameter;
  bool decrypt = GetBool(in, "WithDecryption").value_or(false);
  size_t max = static_cast<size_t>(GetInt(in, "MaxResults").value_or(50));
  auto start = PageOffset(in);
  if (!start) return AwsError::Client("InvalidNextToken", "The specified token isn't valid.");
  json::array history;
  size_t i = *start;
  for (; i < p.versions.size() && history.size() < max; ++i) {
    const ParameterVersion& v = p.versions[i];
    auto value = ShownValue(deps, p, v, decrypt);
    if (auto* err = std::get_if<AwsError>(&value)) return *err;
    object h{{"Name", p.name}, {"Type", v.type}, {"LastModifiedDate", v.modified}, {"LastModifiedUser", v.modified_user},
             {"Value", std::move(std::get<std::string>(value))}, {"Version", v.version}, {"Labels", Array(v.labels)},
             {"Tier", v.tier}, {"Policies", v.policies}, {"DataType", v.data_type}};
    if (!v.key_id.empty()) h["KeyId"] = v.key_id;
    if (!v.description.empty()) h["Description"] = v.description;
    if (!v.allowed_pattern.empty()) h["AllowedPattern"] = v.allowed_pattern;
    history.push_back(std::move(h));
  }
  object out{{"Parameters", std::move(history)}};
  if (i < p.versions.size()) out["NextToken"] = PageToken(i);
  return out;
}

Outcome LabelParameterVersion(const SsmDeps& deps, const RequestContext&, object& in) {
  std::vector<std::string> labels = Strings(GetArray(in, "Labels"));
  return ChangeParameter(deps, NameOf(deps, GetString(in, "Name")),
                         [&](std::optional<Parameter>& p) -> std::variant<object, AwsError> {
                           if (!p) return NotFound();
                           int64_t version = GetInt(in, "ParameterVersion").value_or(p->latest().version);
                           auto invalid = model::AttachLabels(*p, version, labels);
                           if (!invalid.ok() && invalid.status().IsNotFound()) {
                             return AwsError::Client("ParameterVersionNotFound",
                                                     "Systems Manager could not find version " +
                                                         std::to_string(version) + " of " + p->name +
                                                         ". Verify the version and try again.");
                           }
                           if (!invalid.ok()) {
                             return AwsError::Client("ParameterVersionLabelLimitExceeded",
                                                     "A parameter version can have maximum 10 labels. Move one or "
                                                     "more labels to another version and try again.");
                           }
                           return object{{"InvalidLabels", Array(*invalid)}, {"ParameterVersion", version}};
                         });
}

Outcome UnlabelParameterVersion(const SsmDeps& deps, const RequestContext&, object& in) {
  std::vector<std::string> labels = Strings(GetArray(in, "Labels"));
  int64_t version = GetInt(in, "ParameterVersion").value_or(0);
  return ChangeParameter(deps, NameOf(deps, GetString(in, "Name")),
                         [&](std::optional<Parameter>& p) -> std::variant<object, AwsError> {
                           if (!p) return NotFound();
                           ParameterVersion* target = nullptr;
                           for (auto& v : p->versions) {
                             if (v.version == version) target = &v;
                           }
                           if (!target) {
                             return AwsError::Client("ParameterVersionNotFound",
                                                     "Systems Manager could not find version " +
                                                         std::to_string(version) + " of " + p->name +
                                                         ". Verify the version and try again.");
                           }
                           std::vector<std::string> removed, invalid;
                           for (const auto& l : labels) {
                             auto it = std::find(target->labels.begin(), target->labels.end(), l);
                             if (it == target->labels.end()) {
                               invalid.push_back(l);
                             } else {
                               target->labels.erase(it);
                               removed.push_back(l);
                             }
                           }
                           return object{{"RemovedLabels", Array(removed)}, {"InvalidLabels", Array(invalid)}};
                         });
}

}  // namespace wharf::api::ssm
