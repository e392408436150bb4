// Where a container's secret comes from: the `valueFrom` of a task definition's
// `secrets` and `logConfiguration.secretOptions`, and `repositoryCredentials.credentialsParameter`,
// read as ECS reads them. Pure; thread-safe.
//
// valueFrom is either
//   - a Secrets Manager secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf,
//     optionally followed by ":<jsonKey>:<versionStage>:<versionId>" (each of the three may be
//     empty: "...:secret:db-AbCdEf:password::" takes the password key of AWSCURRENT), or
//   - an SSM parameter: its name ("db-password", "/prod/db/password") or its ARN
//     (arn:aws:ssm:<region>:<account>:parameter/prod/db/password).
// A name is looked up in the task's region; an ARN in its own.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace wharf::model {

struct SecretSource {
  enum class Kind { kSecretsManager, kParameter };
  Kind kind = Kind::kParameter;
  std::string region;  // where to ask: the ARN's, or the task's for a parameter name
  // Secrets Manager: the secret's ARN (the first seven fields), for GetSecretValue's SecretId.
  // SSM: the parameter's name or ARN, as written, for GetParameters' Names.
  std::string id;
  std::string json_key;       // Secrets Manager: the key of the JSON secret to take; empty: all of it
  std::string version_stage;  // Secrets Manager: empty: AWSCURRENT
  std::string version_id;

  bool operator==(const SecretSource&) const = default;
};

// `value_from` read as above; `task_region` is used for parameter names. InvalidArgument,
// with the ECS agent's message, for a Secrets Manager ARN with a wrong number of fields.
Result<SecretSource> ParseSecretSource(std::string_view value_from, std::string_view task_region);

// The value of `json_key` in a secret string holding a JSON object, as the ECS agent puts it
// in the environment: a string as it is, anything else as Go's fmt "%v" prints what
// encoding/json decoded (5432 -> "5432", 1e21 -> "1e+21", true, <nil>, map[a:1], [1 2]).
// InvalidArgument when the secret is not a JSON object, or has no such key (ECS's message).
Result<std::string> SecretJsonValue(std::string_view secret_string, std::string_view json_key);

// A JSON value printed as Go's "%v" prints what encoding/json decoded into interface{}.
std::string GoFormat(const boost::json::value& v);

}  // namespace wharf::model
