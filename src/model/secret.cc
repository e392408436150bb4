#include "model/secret.h"

#include <algorithm>

#include "model/json.h"

namespace wharf::model {
namespace json = boost::json;

namespace {

std::optional<double> GetTime(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

void RemoveStage(SecretVersion& v, std::string_view stage) {
  v.stages.erase(std::remove(v.stages.begin(), v.stages.end(), stage), v.stages.end());
}

void AddStage(SecretVersion& v, const std::string& stage) {
  if (!v.HasStage(stage)) v.stages.push_back(stage);
}

SecretVersion* Find(Secret& s, std::string_view id) {
  for (auto& v : s.versions) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

// Moves `stage` onto `to`, taking it from whoever has it (AWSCURRENT leaves AWSPREVIOUS).
void PlaceStage(Secret& s, SecretVersion& to, const std::string& stage) {
  for (auto& v : s.versions) {
    if (&v == &to || !v.HasStage(stage)) continue;
    RemoveStage(v, stage);
    if (stage == kAwsCurrent) {
      for (auto& p : s.versions) RemoveStage(p, kAwsPrevious);
      AddStage(v, std::string(kAwsPrevious));
    }
  }
  if (stage == kAwsCurrent) RemoveStage(to, kAwsPrevious);
  AddStage(to, stage);
}

}  // namespace

bool SecretVersion::HasStage(std::string_view stage) const {
  return std::find(stages.begin(), stages.end(), stage) != stages.end();
}

const SecretVersion* Secret::FindVersion(std::string_view id) const {
  for (const auto& v : versions) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

const SecretVersion* Secret::FindStage(std::string_view stage) const {
  for (const auto& v : versions) {
    if (v.HasStage(stage)) return &v;
  }
  return nullptr;
}

Result<Secret> Secret::FromJson(const json::object& r) {
  Secret s;
  s.arn = GetString(r, "ARN");
  s.name = GetString(r, "Name");
  if (s.arn.empty() || s.name.empty()) return Status::Internal("secret record without ARN or Name");
  s.description = GetString(r, "Description");
  s.kms_key_id = GetString(r, "KmsKeyId");
  s.created = GetTime(r, "CreatedDate").value_or(0);
  s.last_changed = GetTime(r, "LastChangedDate").value_or(s.created);
  s.last_accessed = GetTime(r, "LastAccessedDate");
  s.deleted = GetTime(r, "DeletedDate");
  s.deletion_date = GetTime(r, "DeletionDate");
  s.tags = GetArray(r, "Tags");
  s.resource_policy = GetString(r, "ResourcePolicy");
  for (const auto& item : GetArray(r, "Versions")) {
    if (!item.is_object()) continue;
    const json::object& o = item.as_object();
    SecretVersion v;
    v.id = GetString(o, "VersionId");
    for (const auto& st : GetArray(o, "VersionStages")) {
      if (st.is_string()) v.stages.emplace_back(st.as_string());
    }
    v.created = GetTime(o, "CreatedDate").value_or(0);
    v.ciphertext = GetString(o, "Ciphertext");
    v.binary = GetBool(o, "Binary").value_or(false);
    v.kms_key_arn = GetString(o, "KmsKeyArn");
    s.versions.push_back(std::move(v));
  }
  return s;
}

json::object Secret::ToJson() const {
  json::object r{{"ARN", arn}, {"Name", name}, {"CreatedDate", created}, {"LastChangedDate", last_changed}};
  if (!description.empty()) r["Description"] = description;
  if (!kms_key_id.empty()) r["KmsKeyId"] = kms_key_id;
  if (last_accessed) r["LastAccessedDate"] = *last_accessed;
  if (deleted) r["DeletedDate"] = *deleted;
  if (deletion_date) r["DeletionDate"] = *deletion_date;
  if (!tags.empty()) r["Tags"] = tags;
  if (!resource_policy.empty()) r["ResourcePolicy"] = resource_policy;
  json::array versions_json;
  for (const auto& v : versions) {
    json::array stages;
    for (const auto& st : v.stages) stages.emplace_back(st);
    versions_json.emplace_back(json::object{{"VersionId", v.id},
                                            {"VersionStages", std::move(stages)},
                                            {"CreatedDate", v.created},
                                            {"Ciphertext", v.ciphertext},
                                            {"Binary", v.binary},
                                            {"KmsKeyArn", v.kms_key_arn}});
  }
  r["Versions"] = std::move(versions_json);
  return r;
}

void AddVersion(Secret& secret, SecretVersion version, std::vector<std::string> stages) {
  if (stages.empty()) stages.emplace_back(kAwsCurrent);
  version.stages.clear();
  secret.versions.push_back(std::move(version));
  for (const auto& stage : stages) PlaceStage(secret, secret.versions.back(), stage);
  // Drop the oldest deprecated versions beyond the limit.
  while (secret.versions.size() > kMaxSecretVersions) {
    auto oldest = std::find_if(secret.versions.begin(), secret.versions.end(),
                               [](const SecretVersion& v) { return v.stages.empty(); });
    if (oldest == secret.versions.end()) break;
    secret.versions.erase(oldest);
  }
}

Status MoveStage(Secret& secret, const std::string& stage, const std::string& move_to,
                 const std::string& remove_from) {
  SecretVersion* from = remove_from.empty() ? nullptr : Find(secret, remove_from);
  if (!remove_from.empty() && !from) {
    return Status::NotFound("Secrets Manager can't find the specified secret version: " + remove_from);
  }
  SecretVersion* to = move_to.empty() ? nullptr : Find(secret, move_to);
  if (!move_to.empty() && !to) {
    return Status::NotFound("Secrets Manager can't find the specified secret version: " + move_to);
  }
  if (from && !from->HasStage(stage)) {
    return Status::InvalidArgument("The staging label " + stage + " is not attached to the version " + remove_from +
                                   ", so it can't be removed.");
  }
  const SecretVersion* holder = secret.FindStage(stage);
  if (to && holder && holder != to && holder != from) {
    return Status::InvalidArgument("The staging label " + stage + " is currently attached to version " + holder->id +
                                   ", so you must explicitly reference that version in RemoveFromVersionId.");
  }
  if (!to && stage == kAwsCurrent) {
    return Status::InvalidArgument("You can only move staging label AWSCURRENT to a different secret version. "
                                   "It can't be completely removed.");
  }
  if (from) RemoveStage(*from, stage);
  if (to) {
    if (stage == kAwsCurrent && from) {
      for (auto& p : secret.versions) RemoveStage(p, kAwsPrevious);
      AddStage(*from, std::string(kAwsPrevious));
    }
    if (stage == kAwsCurrent) RemoveStage(*to, kAwsPrevious);
    AddStage(*to, stage);
  }
  return Status::OK();
}

}  // namespace wharf::model
