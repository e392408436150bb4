// Secrets Manager secrets as stored (docs/STATE.md, secretsmanager/secrets/<name>), and the
// rules of version staging labels.
//
// One record per secret holds its versions, so a new version and the labels it moves are one
// revision-checked write. A version's value is never stored in the clear: `ciphertext` is a
// KMS ciphertext blob (base64) sealed under the secret's key with the encryption context
// {"SecretARN": arn, "SecretVersionId": id}.
//
// Labels: a label is on at most one version. AWSCURRENT moved to a new version leaves
// AWSPREVIOUS on the version that had it. A version with no label is deprecated; at most
// kMaxVersions versions are kept, the oldest deprecated ones dropped first.
//
// Pure; thread-safe as values.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::model {

inline constexpr std::string_view kAwsCurrent = "AWSCURRENT";
inline constexpr std::string_view kAwsPrevious = "AWSPREVIOUS";
inline constexpr size_t kMaxSecretVersions = 100;

struct SecretVersion {
  std::string id;
  std::vector<std::string> stages;
  double created = 0;      // seconds since the epoch
  std::string ciphertext;  // base64 KMS blob of the value
  bool binary = false;     // SecretBinary rather than SecretString
  std::string kms_key_arn;

  bool HasStage(std::string_view stage) const;
};

struct Secret {
  std::string arn;
  std::string name;
  std::string description;
  std::string kms_key_id;  // as the user gave it; empty: the AWS managed aws/secretsmanager
  double created = 0;
  double last_changed = 0;
  std::optional<double> last_accessed;  // a day's start, as AWS shows it
  std::optional<double> deleted;        // when DeleteSecret was called
  std::optional<double> deletion_date;  // when the secret is gone for good
  boost::json::array tags;              // [{Key, Value}]
  std::string resource_policy;
  std::vector<SecretVersion> versions;  // oldest first

  static Result<Secret> FromJson(const boost::json::object& record);
  boost::json::object ToJson() const;

  bool pending_deletion() const { return deleted.has_value(); }
  // Past its recovery window: it no longer exists.
  bool Gone(double now) const { return deletion_date && now >= *deletion_date; }
  const SecretVersion* FindVersion(std::string_view id) const;
  const SecretVersion* FindStage(std::string_view stage) const;
};

// Adds `version` with `stages` (AWSCURRENT when empty): each label leaves the version that had
// it; AWSCURRENT's old holder gets AWSPREVIOUS. Then drops the oldest unlabeled versions
// beyond kMaxSecretVersions.
void AddVersion(Secret& secret, SecretVersion version, std::vector<std::string> stages);

// UpdateSecretVersionStage: moves `stage` to `move_to` (empty: only removes) from
// `remove_from` (must hold it when given; required when the label is on another version).
// InvalidArgument with Secrets Manager's message otherwise; NotFound for an unknown version.
Status MoveStage(Secret& secret, const std::string& stage, const std::string& move_to,
                 const std::string& remove_from);

}  // namespace wharf::model
