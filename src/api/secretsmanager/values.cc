// Secret values: get, put, batch get; staging labels and the version list.
#include <boost/json/array.hpp>
#include <cmath>

#include "api/secretsmanager/handlers.h"
#include "base/crypto.h"
#include "controlplane/records.h"

namespace wharf::api::secretsmanager {
namespace json = boost::json;
namespace {

// LastAccessedDate is a day (AWS shows the date, not the time): written at most once a day per
// secret, best effort, so reads stay reads.
void NoteAccess(const SecretsDeps& deps, const StoredSecret& stored) {
  double today = std::floor(Now(deps) / 86400.0) * 86400.0;
  if (stored.secret.last_accessed && *stored.secret.last_accessed >= today) return;
  Secret accessed = stored.secret;
  accessed.last_accessed = today;
  (void)deps.store.Commit({{{stored.key, stored.mod_revision}}, {store::Op::Put(stored.key, Serialize(accessed.ToJson()))}});
}

}  // namespace

Outcome GetSecretValue(const SecretsDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadSecret(deps, GetString(in, "SecretId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const StoredSecret& stored = std::get<StoredSecret>(loaded);
  auto value = SecretValueOf(deps, stored.secret, in);
  if (auto* err = std::get_if<AwsError>(&value)) return *err;
  NoteAccess(deps, stored);
  return std::move(std::get<object>(value));
}

Outcome PutSecretValue(const SecretsDeps& deps, const RequestContext&, object& in) {
  if (Has(in, "SecretString") && Has(in, "SecretBinary")) {
    return InvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  auto value = RequestValue(in);
  if (!value) return InvalidParameter("You must provide either SecretString or SecretBinary.");
  std::string version_id = GetString(in, "ClientRequestToken");
  if (version_id.empty()) version_id = RandomUuid(deps.random);
  std::vector<std::string> stages;
  for (const auto& s : GetArray(in, "VersionStages")) {
    if (s.is_string()) stages.emplace_back(s.as_string());
  }
  double now = Now(deps);
  std::vector<std::string> answer_stages;
  return ChangeSecret(deps, GetString(in, "SecretId"), [&](Secret& s) -> std::optional<AwsError> {
    if (s.pending_deletion()) return MarkedForDeletion();
    if (const SecretVersion* existing = s.FindVersion(version_id)) {
      // A retry of the same request changes nothing; another value under the same id is refused.
      auto plain = PlainValue(deps, s, *existing);
      if (auto* err = std::get_if<AwsError>(&plain)) return *err;
      if (std::get<std::string>(plain) != value->first || existing->binary != value->second) {
        return AwsError::Client("ResourceExistsException",
                                "You can't modify an existing version, you can only create a new version.");
      }
      answer_stages = existing->stages;
      return std::nullopt;
    }
    auto version = SealVersion(deps, s, version_id, in);
    if (auto* err = std::get_if<AwsError>(&version)) return *err;
    model::AddVersion(s, std::move(std::get<SecretVersion>(version)), stages);
    answer_stages = s.FindVersion(version_id)->stages;
    s.last_changed = now;
    return std::nullopt;
  }, [&](const Secret& s) {
    json::array st;
    for (const auto& x : answer_stages) st.emplace_back(x);
    return object{{"ARN", s.arn}, {"Name", s.name}, {"VersionId", version_id}, {"VersionStages", std::move(st)}};
  });
}

Outcome BatchGetSecretValue(const SecretsDeps& deps, const RequestContext&, object& in) {
  bool by_id = Has(in, "SecretIdList"), by_filter = Has(in, "Filters");
  if (by_id == by_filter) {
    return InvalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
  }
  json::array values, errors;
  std::vector<std::string> ids;
  if (by_id) {
    for (const auto& id : GetArray(in, "SecretIdList")) {
      if (id.is_string()) ids.emplace_back(id.as_string());
    }
  } else {
    ASSIGN_OR_FAIL(auto records, controlplane::ReadRecords(deps.store, model::keys::kSecrets), SecretsError);
    double now = Now(deps);
    for (const auto& r : records) {
      auto s = Secret::FromJson(r.value);
      if (s.ok() && !s->Gone(now) && !s->pending_deletion() && MatchesFilters(*s, GetArray(in, "Filters"))) {
        ids.push_back(s->arn);
      }
    }
  }
  auto page_start = PageStart(in);
  if (auto* err = std::get_if<AwsError>(&page_start)) return *err;
  size_t start = std::get<size_t>(page_start);
  size_t max = by_id ? ids.size() : static_cast<size_t>(GetInt(in, "MaxResults").value_or(20));
  object none;
  size_t i = start;
  for (; i < ids.size() && i - start < max; ++i) {
    auto loaded = LoadSecret(deps, ids[i]);
    std::variant<object, AwsError> value = AwsError{};
    if (auto* err = std::get_if<AwsError>(&loaded)) {
      value = *err;
    } else {
      value = SecretValueOf(deps, std::get<StoredSecret>(loaded).secret, none);
    }
    if (auto* err = std::get_if<AwsError>(&value)) {
      errors.push_back(object{{"SecretId", ids[i]}, {"ErrorCode", err->code}, {"Message", err->message}});
    } else {
      values.push_back(std::move(std::get<object>(value)));
    }
  }
  object out{{"SecretValues", std::move(values)}, {"Errors", std::move(errors)}};
  if (i < ids.size()) out["NextToken"] = PageToken(i);
  return out;
}

Outcome UpdateSecretVersionStage(const SecretsDeps& deps, const RequestContext&, object& in) {
  std::string stage = GetString(in, "VersionStage");
  std::string move_to = GetString(in, "MoveToVersionId"), remove_from = GetString(in, "RemoveFromVersionId");
  return ChangeSecret(deps, GetString(in, "SecretId"), [&](Secret& s) -> std::optional<AwsError> {
    if (s.pending_deletion()) return MarkedForDeletion();
    Status moved = model::MoveStage(s, stage, move_to, remove_from);
    if (moved.code() == Status::Code::kNotFound) return InvalidParameter(moved.message());
    if (!moved.ok()) return InvalidParameter(moved.message());
    return std::nullopt;
  }, [](const Secret& s) { return object{{"ARN", s.arn}, {"Name", s.name}}; });
}

Outcome ListSecretVersionIds(const SecretsDeps& deps, const RequestContext&, object& in) {
  auto loaded = LoadSecret(deps, GetString(in, "SecretId"));
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const Secret& s = std::get<StoredSecret>(loaded).secret;
  bool deprecated = GetBool(in, "IncludeDeprecated").value_or(false);
  size_t max = static_cast<size_t>(GetInt(in, "MaxResults").value_or(100));
  auto page_start = PageStart(in);
  if (auto* err = std::get_if<AwsError>(&page_start)) return *err;
  size_t start = std::get<size_t>(page_start);
  std::vector<const SecretVersion*> shown;
  for (auto it = s.versions.rbegin(); it != s.versions.rend(); ++it) {
    if (deprecated || !it->stages.empty()) shown.push_back(&*it);
  }
  json::array versions;
  size_t i = start;
  for (; i < shown.size() && versions.size() < max; ++i) {
    json::array stages;
    for (const auto& st : shown[i]->stages) stages.emplace_back(st);
    object v{{"VersionId", shown[i]->id}, {"VersionStages", std::move(stages)}, {"CreatedDate", shown[i]->created}};
    if (!shown[i]->kms_key_arn.empty()) v["KmsKeyIds"] = json::array{json::string(shown[i]->kms_key_arn)};
    versions.push_back(std::move(v));
  }
  object out{{"Versions", std::move(versions)}, {"ARN", s.arn}, {"Name", s.name}};
  if (i < shown.size()) out["NextToken"] = PageToken(i);
  return out;
}

}  // namespace wharf::api::secretsmanager
