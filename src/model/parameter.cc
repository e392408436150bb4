#include "model/parameter.h"

#include <algorithm>
#include <cctype>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

std::vector<std::string> Strings(const json::array& a) {
  std::vector<std::string> out;
  for (const auto& v : a) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

}  // namespace

const ParameterVersion* Parameter::FindVersion(int64_t version) const {
  for (const auto& v : versions) {
    if (v.version == version) return &v;
  }
  return nullptr;
}

const ParameterVersion* Parameter::FindLabel(std::string_view label) const {
  for (const auto& v : versions) {
    if (std::find(v.labels.begin(), v.labels.end(), label) != v.labels.end()) return &v;
  }
  return nullptr;
}

Result<Parameter> Parameter::FromJson(const json::object& r) {
  Parameter p;
  p.name = GetString(r, "Name");
  p.tags = GetArray(r, "Tags");
  for (const auto& item : GetArray(r, "Versions")) {
    if (!item.is_object()) continue;
    const json::object& o = item.as_object();
    ParameterVersion v;
    v.version = GetInt(o, "Version").value_or(0);
    v.type = GetString(o, "Type");
    v.value = GetString(o, "Value");
    v.ciphertext = GetString(o, "Ciphertext");
    v.key_id = GetString(o, "KeyId");
    v.description = GetString(o, "Description");
    v.allowed_pattern = GetString(o, "AllowedPattern");
    v.tier = GetString(o, "Tier", "Standard");
    v.data_type = GetString(o, "DataType", "text");
    v.policies = GetArray(o, "Policies");
    v.labels = Strings(GetArray(o, "Labels"));
    if (const auto* m = o.if_contains("LastModifiedDate"); m && m->is_number()) v.modified = m->to_number<double>();
    v.modified_user = GetString(o, "LastModifiedUser");
    p.versions.push_back(std::move(v));
  }
  if (p.name.empty() || p.versions.empty()) return Status::Internal("parameter record without Name or Versions");
  return p;
}

json::object Parameter::ToJson() const {
  json::array versions_json;
  for (const auto& v : versions) {
    json::array labels;
    for (const auto& l : v.labels) labels.emplace_back(l);
    json::object o{{"Version", v.version}, {"Type", v.type}, {"Tier", v.tier}, {"DataType", v.data_type},
                   {"LastModifiedDate", v.modified}, {"LastModifiedUser", v.modified_user},
                   {"Labels", std::move(labels)}};
    if (!v.value.empty()) o["Value"] = v.value;
    if (!v.ciphertext.empty()) o["Ciphertext"] = v.ciphertext;
    if (!v.key_id.empty()) o["KeyId"] = v.key_id;
    if (!v.description.empty()) o["Description"] = v.description;
    if (!v.allowed_pattern.empty()) o["AllowedPattern"] = v.allowed_pattern;
    if (!v.policies.empty()) o["Policies"] = v.policies;
    versions_json.push_back(std::move(o));
  }
  json::object r{{"Name", name}, {"Versions", std::move(versions_json)}};
  if (!tags.empty()) r["Tags"] = tags;
  return r;
}

Status CheckParameterName(std::string_view name) {
  static constexpr std::string_view kMessage =
      "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can "
      "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the "
      "following 3 symbols .-_";
  if (name.empty()) return Status::InvalidArgument(std::string(kMessage));
  bool path = name.find('/') != std::string_view::npos;
  if (path && name.front() != '/') return Status::InvalidArgument("Parameter name must be a fully qualified name.");
  std::string_view first = path ? name.substr(1) : name;
  if (StartsWithNoCase(first, "aws") || StartsWithNoCase(first, "ssm")) return Status::InvalidArgument(std::string(kMessage));
  bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '/';
  });
  if (!chars_ok || name.back() == '/' || name.find("//") != std::string_view::npos) {
    return Status::InvalidArgument(std::string(kMessage));
  }
  int levels = static_cast<int>(std::count(name.begin(), name.end(), '/'));
  if (levels > kMaxHierarchyLevels) {
    return Status::FailedPrecondition("Parameter name hierarchy depth is greater than the maximum allowed depth of " +
                                      std::to_string(kMaxHierarchyLevels) + ".");
  }
  return Status::OK();
}

ParameterSelector ParseSelector(std::string_view text) {
  ParameterSelector s;
  size_t colon = text.rfind(':');  // names have no ':'
  if (colon == std::string_view::npos) {
    s.name = std::string(text);
    return s;
  }
  s.name = std::string(text.substr(0, colon));
  std::string_view sel = text.substr(colon + 1);
  s.selector = ":" + std::string(sel);
  if (!sel.empty() && std::all_of(sel.begin(), sel.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    s.version = std::stoll(std::string(sel));
  } else {
    s.label = std::string(sel);
  }
  return s;
}

bool ValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 100) return false;
  if (StartsWithNoCase(label, "aws") || StartsWithNoCase(label, "ssm")) return false;
  if (std::all_of(label.begin(), label.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return false;
  }
  return std::all_of(label.begin(), label.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

Result<std::vector<std::string>> AttachLabels(Parameter& parameter, int64_t version,
                                              const std::vector<std::string>& labels) {
  ParameterVersion* target = nullptr;
  for (auto& v : parameter.versions) {
    if (v.version == version) target = &v;
  }
  if (!target) return Status::NotFound("version " + std::to_string(version));
  std::vector<std::string> invalid;
  for (const auto& label : labels) {
    if (!ValidLabel(label)) {
      invalid.push_back(label);
      continue;
    }
    for (auto& v : parameter.versions) {
      if (&v != target) v.labels.erase(std::remove(v.labels.begin(), v.labels.end(), label), v.labels.end());
    }
    if (std::find(target->labels.begin(), target->labels.end(), label) == target->labels.end()) {
      target->labels.push_back(label);
    }
  }
  if (target->labels.size() > kMaxLabelsPerVersion) {
    return Status::FailedPrecondition("An error occurred (ParameterVersionLabelLimitExceeded): A parameter version can "
                                      "have maximum 10 labels.Move one or more labels to another version and try again.");
  }
  return invalid;
}

int LevelBelow(std::string_view path, std::string_view name) {
  std::string prefix(path);
  if (prefix != "/") prefix += '/';
  if (!name.starts_with(prefix) || name.size() == prefix.size()) return 0;
  std::string_view rest = name.substr(prefix.size());
  return 1 + static_cast<int>(std::count(rest.begin(), rest.end(), '/'));
}

}  // namespace wharf::model
