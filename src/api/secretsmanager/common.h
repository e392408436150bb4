// Shared pieces of the Secrets Manager handlers: errors, finding a secret by name or ARN,
// changing it, sealing and opening values.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "api/aws_error.h"
#include "api/json_util.h"
#include "api/secretsmanager/secretsmanager.h"
#include "model/keys.h"
#include "model/secret.h"

namespace wharf::api::secretsmanager {

using boost::json::object;
using model::Secret;
using model::SecretVersion;

inline constexpr std::string_view kDefaultKey = "alias/aws/secretsmanager";

AwsError SecretsError(const Status& status);
AwsError SecretNotFound();
AwsError InvalidParameter(std::string message);
AwsError InvalidRequest(std::string message);
AwsError MarkedForDeletion();
AwsError TooManyUpdates();

double Now(const SecretsDeps& deps);

struct StoredSecret {
  Secret secret;
  std::string key;  // its store key
  int64_t mod_revision = 0;
};
// The secret `secret_id` names (a name, an ARN, or an ARN without its random suffix);
// ResourceNotFoundException when there is none or its recovery window has passed.
std::variant<StoredSecret, AwsError> LoadSecret(const SecretsDeps& deps, const std::string& secret_id);

// Runs `change` on the secret and writes it back, retried on conflict; `answer` after the
// write. A change that needs the secret not pending deletion checks it itself.
Outcome ChangeSecret(const SecretsDeps& deps, const std::string& secret_id,
                     const std::function<std::optional<AwsError>(Secret& secret)>& change,
                     const std::function<object(const Secret& secret)>& answer);

// A new version of `secret` holding the request's SecretString or SecretBinary (base64 in
// `in`), sealed by KMS; EncryptionFailure when KMS refuses.
std::variant<SecretVersion, AwsError> SealVersion(const SecretsDeps& deps, const Secret& secret,
                                                  const std::string& version_id, const object& in);
// The value of a version as GetSecretValue shows it (SecretString or SecretBinary);
// DecryptionFailure when KMS refuses.
std::variant<object, AwsError> OpenVersion(const SecretsDeps& deps, const Secret& secret, const SecretVersion& version);
// The plaintext value of a version (for idempotent retries).
std::variant<std::string, AwsError> PlainValue(const SecretsDeps& deps, const Secret& secret,
                                               const SecretVersion& version);

// The request's value as the bytes it would seal, and whether it is binary; nullopt when none.
std::optional<std::pair<std::string, bool>> RequestValue(const object& in);

// The GetSecretValue answer for one version.
std::variant<object, AwsError> SecretValueOf(const SecretsDeps& deps, const Secret& secret, const object& in);

// Offset pages (ListSecrets, ListSecretVersionIds, BatchGetSecretValue): the offset the
// request's NextToken names (0 without one), InvalidParameterException for a token wharf did
// not make; and the token of the page from `next`.
std::variant<size_t, AwsError> PageStart(const object& in);
std::string PageToken(size_t next);

// ListSecrets' and BatchGetSecretValue's Filters.
bool MatchesFilters(const Secret& secret, const boost::json::array& filters);
// A policy document checked as a resource policy; MalformedPolicyDocumentException.
std::optional<AwsError> CheckResourcePolicy(const std::string& policy);

}  // namespace wharf::api::secretsmanager
