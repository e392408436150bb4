// Shared pieces of the KMS handlers: errors, finding keys by any of their names, reading and
// changing key records.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/aws_error.h"
#include "api/json_util.h"
#include "api/kms/kms.h"
#include "model/keys.h"
#include "model/kms.h"

namespace wharf::api::kms {

using boost::json::object;
using model::KmsKey;

AwsError KmsError(const Status& status);
AwsError Refused(const model::KmsRefusal& refusal);
AwsError Validation(std::string message);
AwsError KeyNotFound(const KmsDeps& deps, std::string_view key_id);
AwsError AliasNotFound(const KmsDeps& deps, std::string_view alias_name);
AwsError TooManyUpdates();

double Now(const KmsDeps& deps);
std::string KeyArn(const KmsDeps& deps, std::string_view key_id);
std::string AliasArn(const KmsDeps& deps, std::string_view alias_name);

// The key id `key_ref` names: a key id, key ARN, alias name or alias ARN. An alias
// alias/aws/<service> of a service that has an AWS managed key is made on first use.
std::variant<std::string, AwsError> ResolveKeyId(const KmsDeps& deps, std::string_view key_ref);
// AWS names key material by a 64-hex id; wharf's is a digest of the key id and the version.
std::string KeyMaterialId(const KmsKey& key, uint32_t version);
// New material as the key's current version, wrapped under the root key.
std::optional<AwsError> AddMaterial(const KmsDeps& deps, KmsKey& key, std::string_view root_key);
// The key record (NotFoundException when absent or past its deletion date), with the
// automatic rotations due by now made first (model::DueRotations): rotation is carried out
// when the key is next used, which nothing can tell from rotation on a timer.
std::variant<KmsKey, AwsError> LoadKey(const KmsDeps& deps, std::string_view key_id);
std::variant<KmsKey, AwsError> FindKey(const KmsDeps& deps, std::string_view key_ref);

// Runs `change` on the key record `key_ref` names and writes it back (retried on
// conflict); answers `answer(key)` after the write, or change's error.
Outcome UpdateKey(const KmsDeps& deps, std::string_view key_ref,
                  const std::function<std::optional<AwsError>(KmsKey& key)>& change,
                  const std::function<object(const KmsKey& key)>& answer);

// InvalidKeyUsageException unless the key's KeyUsage is `usage`.
std::optional<AwsError> CheckKeyUsage(const KmsKey& key, std::string_view usage);

// The key's material for `version`, unwrapped with the root key.
std::variant<std::string, AwsError> KeyMaterial(const KmsDeps& deps, const KmsKey& key, uint32_t version);

// A request's EncryptionContext member (string to string).
EncryptionContext ContextOf(const object& in, std::string_view member);
// A blob member, base64-decoded; ValidationException when it is not base64.
std::variant<std::string, AwsError> BlobMember(const object& in, std::string_view member);

// The default key policy CreateKey gives a key without one.
std::string DefaultKeyPolicy(const KmsDeps& deps);
// A policy document checked as a resource policy; MalformedPolicyDocumentException.
std::optional<AwsError> CheckKeyPolicy(std::string_view policy);
// Tags as KMS takes them ([{TagKey, TagValue}]) merged into `into`; TagException.
std::optional<AwsError> MergeTags(boost::json::array& into, const boost::json::value& tags);

}  // namespace wharf::api::kms
