#include "api/secretsmanager/common.h"

#include <boost/json/array.hpp>
#include <algorithm>
#include <cctype>

#include "base/crypto.h"
#include "controlplane/records.h"
#include "iam/policy.h"
#include "store/update.h"

namespace wharf::api::secretsmanager {
namespace json = boost::json;
namespace {

kms::EncryptionContext ContextFor(const Secret& secret, const std::string& version_id) {
  return {{"SecretARN", secret.arn}, {"SecretVersionId", version_id}};
}

std::string KeyRef(const Secret& secret) {
  return secret.kms_key_id.empty() ? std::string(kDefaultKey) : secret.kms_key_id;
}

AwsError EncryptionFailure() {
  return AwsError::Client("EncryptionFailure",
                          "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check "
                          "that the KMS key is available, enabled, and not in an invalid state.");
}

AwsError DecryptionFailure() {
  return AwsError::Client("DecryptionFailure",
                          "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
}

// The secret's name if `id` is a full ARN with its random suffix ("...:secret:name-AbCdEf"),
// and the name it would be as a partial ARN ("...:secret:name") or a name.
std::vector<std::string> CandidateNames(const SecretsDeps& deps, const std::string& id) {
  std::string prefix = "arn:aws:secretsmanager:" + deps.region + ":" + deps.account_id + ":secret:";
  if (!id.starts_with("arn:")) return {id};
  if (!id.starts_with(prefix)) return {};
  std::string rest = id.substr(prefix.size());
  std::vector<std::string> names;
  if (rest.size() > 7 && rest[rest.size() - 7] == '-') names.push_back(rest.substr(0, rest.size() - 7));
  names.push_back(rest);
  return names;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (prefix.size() > text.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool MatchesValue(const Secret& s, const std::string& key, std::string_view value) {
  auto tags_match = [&](std::string_view field) {
    return std::any_of(s.tags.begin(), s.tags.end(), [&](const json::value& t) {
      return t.is_object() && StartsWithNoCase(GetString(t.as_object(), field), value);
    });
  };
  if (key == "name") return StartsWithNoCase(s.name, value);
  if (key == "description") return StartsWithNoCase(s.description, value);
  if (key == "tag-key") return tags_match("Key");
  if (key == "tag-value") return tags_match("Value");
  if (key == "primary-region" || key == "owning-service") return false;
  if (key == "all") {
    return StartsWithNoCase(s.name, value) || StartsWithNoCase(s.description, value) || tags_match("Key") ||
           tags_match("Value");
  }
  return false;
}

}  // namespace

AwsError SecretsError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotFound: return AwsError::Client("ResourceNotFoundException", status.message());
    case Status::Code::kInvalidArgument: return InvalidParameter(status.message());
    case Status::Code::kAlreadyExists: return AwsError::Client("ResourceExistsException", status.message());
    default: return AwsError::Server("InternalServiceError", status.message());
  }
}

AwsError SecretNotFound() {
  return AwsError::Client("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
}
AwsError InvalidParameter(std::string message) {
  return AwsError::Client("InvalidParameterException", std::move(message));
}
AwsError InvalidRequest(std::string message) { return AwsError::Client("InvalidRequestException", std::move(message)); }
AwsError MarkedForDeletion() {
  return InvalidRequest("You can't perform this operation on the secret because it was marked for deletion.");
}
AwsError TooManyUpdates() {
  return AwsError::Server("InternalServiceError", "Too many concurrent updates to the same secret; retry.");
}

double Now(const SecretsDeps& deps) { return EpochSeconds(deps.clock.Now()); }

std::variant<StoredSecret, AwsError> LoadSecret(const SecretsDeps& deps, const std::string& secret_id) {
  bool arn = secret_id.starts_with("arn:");
  double now = Now(deps);
  auto names = CandidateNames(deps, secret_id);
  for (size_t i = 0; i < names.size(); ++i) {
    std::string key = model::keys::SecretKey(names[i]);
    auto record = controlplane::ReadRecord(deps.store, key);
    if (!record.ok()) return SecretsError(record.status());
    if (!*record) continue;
    auto secret = Secret::FromJson((*record)->value);
    if (!secret.ok()) return SecretsError(secret.status());
    if (secret->Gone(now)) continue;
    // A full ARN must be this secret's (a secret made again under the name has another).
    if (arn && i == 0 && names.size() == 2 && secret_id != secret->arn) continue;
    return StoredSecret{std::move(*secret), key, (*record)->mod_revision};
  }
  return SecretNotFound();
}

Outcome ChangeSecret(const SecretsDeps& deps, const std::string& secret_id,
                     const std::function<std::optional<AwsError>(Secret& secret)>& change,
                     const std::function<object(const Secret& secret)>& answer) {
  auto loaded = LoadSecret(deps, secret_id);
  if (auto* err = std::get_if<AwsError>(&loaded)) return *err;
  const std::string arn = std::get<StoredSecret>(loaded).secret.arn;
  double now = Now(deps);
  auto updated = controlplane::UpdateRecord(
      deps.store, std::get<StoredSecret>(loaded).key, [&](std::optional<object>& record) -> store::Decision<Outcome> {
        if (!record) return SecretNotFound();
        auto secret = Secret::FromJson(*record);
        if (!secret.ok()) return SecretsError(secret.status());
        if (secret->arn != arn || secret->Gone(now)) return SecretNotFound();
        if (auto err = change(*secret)) return *err;
        record = secret->ToJson();
        return store::Commit(Outcome(answer(*secret)));
      });
  if (!updated.ok()) return SecretsError(updated.status());
  if (!*updated) return TooManyUpdates();
  return std::move(**updated);
}

std::optional<std::pair<std::string, bool>> RequestValue(const object& in) {
  if (Has(in, "SecretString")) return std::make_pair(GetString(in, "SecretString"), false);
  if (Has(in, "SecretBinary")) {
    auto bytes = Base64Decode(GetString(in, "SecretBinary"));
    return std::make_pair(bytes.value_or(""), true);
  }
  return std::nullopt;
}

std::variant<SecretVersion, AwsError> SealVersion(const SecretsDeps& deps, const Secret& secret,
                                                  const std::string& version_id, const object& in) {
  auto value = RequestValue(in);
  if (!value) return InvalidRequest("You must provide either SecretString or SecretBinary.");
  auto sealed = kms::EncryptWith(deps.kms, KeyRef(secret), value->first, ContextFor(secret, version_id));
  if (std::holds_alternative<AwsError>(sealed)) return EncryptionFailure();
  const kms::Sealed& s = std::get<kms::Sealed>(sealed);
  SecretVersion version;
  version.id = version_id;
  version.created = Now(deps);
  version.ciphertext = Base64Encode(s.blob);
  version.binary = value->second;
  version.kms_key_arn = s.key_arn;
  return version;
}

std::variant<std::string, AwsError> PlainValue(const SecretsDeps& deps, const Secret& secret,
                                               const SecretVersion& version) {
  auto blob = Base64Decode(version.ciphertext);
  if (!blob) return DecryptionFailure();
  auto opened = kms::DecryptBlob(deps.kms, *blob, ContextFor(secret, version.id));
  if (std::holds_alternative<AwsError>(opened)) return DecryptionFailure();
  return std::move(std::get<kms::Opened>(opened).plaintext);
}

std::variant<object, AwsError> OpenVersion(const SecretsDeps& deps, const Secret& secret, const SecretVersion& version) {
  auto plain = PlainValue(deps, secret, version);
  if (auto* err = std::get_if<AwsError>(&plain)) return *err;
  json::array stages;
  for (const auto& s : version.stages) stages.emplace_back(s);
  object out{{"ARN", secret.arn}, {"Name", secret.name}, {"VersionId", version.id}};
  if (version.binary) {
    out["SecretBinary"] = Base64Encode(std::get<std::string>(plain));
  } else {
    out["SecretString"] = std::move(std::get<std::string>(plain));
  }
  out["VersionStages"] = std::move(stages);
  out["CreatedDate"] = version.created;
  return out;
}

std::variant<object, AwsError> SecretValueOf(const SecretsDeps& deps, const Secret& secret, const object& in) {
  if (secret.pending_deletion()) return MarkedForDeletion();
  std::string version_id = GetString(in, "VersionId"), stage = GetString(in, "VersionStage");
  const SecretVersion* version = nullptr;
  if (!version_id.empty()) {
    version = secret.FindVersion(version_id);
    if (!version) {
      return AwsError::Client("ResourceNotFoundException",
                              "Secrets Manager can't find the specified secret value for VersionId: " + version_id);
    }
    if (!stage.empty() && !version->HasStage(stage)) {
      return InvalidRequest("You provided a VersionStage that is not associated to the provided VersionId.");
    }
  } else {
    if (stage.empty()) stage = model::kAwsCurrent;
    version = secret.FindStage(stage);
    if (!version) {
      return AwsError::Client("ResourceNotFoundException",
                              "Secrets Manager can't find the specified secret value for staging label: " + stage);
    }
  }
  return OpenVersion(deps, secret, *version);
}

bool MatchesFilters(const Secret& secret, const json::array& filters) {
  for (const auto& f : filters) {
    if (!f.is_object()) continue;
    std::string key = GetString(f.as_object(), "Key");
    bool any = false, negated_fail = false;
    bool has_positive = false;
    for (const auto& v : GetArray(f.as_object(), "Values")) {
      if (!v.is_string()) continue;
      std::string_view value = v.as_string();
      if (value.starts_with("!")) {
        if (MatchesValue(secret, key, value.substr(1))) negated_fail = true;
      } else {
        has_positive = true;
        if (MatchesValue(secret, key, value)) any = true;
      }
    }
    if (negated_fail || (has_positive && !any)) return false;
  }
  return true;
}

std::optional<AwsError> CheckResourcePolicy(const std::string& policy) {
  auto parsed = wharf::iam::ParsePolicy(policy, {wharf::iam::PolicyKind::kResource});
  if (!parsed.ok()) return AwsError::Client("MalformedPolicyDocumentException", parsed.status().message());
  return std::nullopt;
}

std::variant<size_t, AwsError> PageStart(const object& in) {
  if (!Has(in, "NextToken")) return size_t{0};
  auto token = Base64Decode(GetString(in, "NextToken"));
  if (!token || token->empty() || token->find_first_not_of("0123456789") != std::string::npos) {
    return InvalidParameter("Invalid NextToken.");
  }
  return static_cast<size_t>(std::stoul(*token));
}

std::string PageToken(size_t next) { return Base64Encode(std::to_string(next)); }

}  // namespace wharf::api::secretsmanager
