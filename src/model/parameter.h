// SSM Parameter Store parameters as stored (docs/STATE.md, ssm/parameters/<name>), and the
// rules Parameter Store applies to names, selectors and labels.
//
// One record per parameter holds its history (every version, oldest first), so a new
// version and the labels it moves are one revision-checked write. A SecureString version's
// value is never stored in the clear: `ciphertext` is a KMS ciphertext blob (base64) sealed
// under the parameter's key with the encryption context {"PARAMETER_ARN": arn}.
//
// Pure; thread-safe as values.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace wharf::model {

inline constexpr size_t kMaxParameterVersions = 100;
inline constexpr size_t kMaxLabelsPerVersion = 10;
inline constexpr int kMaxHierarchyLevels = 15;

struct ParameterVersion {
  int64_t version = 0;
  std::string type;        // String, StringList, SecureString
  std::string value;       // String and StringList
  std::string ciphertext;  // SecureString: base64 KMS blob
  std::string key_id;      // SecureString: the key as given (alias/aws/ssm by default)
  std::string description;
  std::string allowed_pattern;
  std::string tier;        // Standard, Advanced
  std::string data_type;   // text, aws:ec2:image, aws:ssm:integration
  boost::json::array policies;
  std::vector<std::string> labels;
  double modified = 0;     // seconds since the epoch
  std::string modified_user;
};

struct Parameter {
  std::string name;
  boost::json::array tags;  // [{Key, Value}]
  std::vector<ParameterVersion> versions;  // oldest first, never empty once stored

  static Result<Parameter> FromJson(const boost::json::object& record);
  boost::json::object ToJson() const;
  const ParameterVersion& latest() const { return versions.back(); }
  const ParameterVersion* FindVersion(int64_t version) const;
  const ParameterVersion* FindLabel(std::string_view label) const;
};

// A parameter name as Parameter Store accepts it: letters, digits, '.', '-', '_' and '/'
// separated levels; with a '/', it begins with one; not under aws or ssm; at most 15 levels.
// InvalidArgument with SSM's ValidationException message; FailedPrecondition for too many
// levels (HierarchyLevelLimitExceededException).
Status CheckParameterName(std::string_view name);

// "name", "name:3" or "name:label" (GetParameter's selectors; an ARN is made a name first).
struct ParameterSelector {
  std::string name;
  std::optional<int64_t> version;
  std::string label;
  std::string selector;  // ":3" or ":label" as given, empty without one
};
ParameterSelector ParseSelector(std::string_view text);

// A label Parameter Store accepts: 1-100 characters of letters, digits, '.', '-', '_'; not
// only digits; not beginning with aws or ssm (case-insensitive).
bool ValidLabel(std::string_view label);

// LabelParameterVersion: puts valid `labels` on `version` (taking them from any other
// version); answers the invalid ones. FailedPrecondition when the version would hold more
// than kMaxLabelsPerVersion.
Result<std::vector<std::string>> AttachLabels(Parameter& parameter, int64_t version,
                                              const std::vector<std::string>& labels);

// The parameter's level below `path` ("/a" holds "/a/b" at level 1, "/a/b/c" at 2); 0 when
// it is not under it.
int LevelBelow(std::string_view path, std::string_view name);

}  // namespace wharf::model
