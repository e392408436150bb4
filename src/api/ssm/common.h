// Shared pieces of the Parameter Store handlers.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "api/aws_error.h"
#include "api/json_util.h"
#include "api/ssm/ssm.h"
#include "model/keys.h"
#include "model/parameter.h"

namespace wharf::api::ssm {

using boost::json::object;
using model::Parameter;
using model::ParameterVersion;

inline constexpr std::string_view kDefaultKey = "alias/aws/ssm";

AwsError SsmError(const Status& status);
AwsError NotFound();
AwsError Validation(std::string message);
AwsError TooManyUpdates();
double Now(const SsmDeps& deps);
std::string ParameterArn(const SsmDeps& deps, std::string_view name);
// A name or ARN as the parameter's name (an ARN's "parameter/x" is "x" or "/x", whichever
// exists; "/x" when neither does).
std::string NameOf(const SsmDeps& deps, std::string_view id);

struct StoredParameter {
  Parameter parameter;
  std::string key;
  int64_t mod_revision = 0;
};
// ParameterNotFound when absent.
std::variant<StoredParameter, AwsError> LoadParameter(const SsmDeps& deps, const std::string& name);
// Every parameter, in name order.
Result<std::vector<Parameter>> LoadParameters(const SsmDeps& deps);

// Runs `change` on the parameter (nullopt: absent) and writes it back (reset: delete),
// retried on conflict.
Outcome ChangeParameter(const SsmDeps& deps, const std::string& name,
                        const std::function<std::variant<object, AwsError>(std::optional<Parameter>& p)>& change);

// The Parameter shape GetParameter answers (Value decrypted when asked).
std::variant<object, AwsError> Present(const SsmDeps& deps, const Parameter& p, const ParameterVersion& v,
                                       bool decrypt, const std::string& selector = "");
// The value as shown: plaintext, or the SecureString's ciphertext unless `decrypt`.
std::variant<std::string, AwsError> ShownValue(const SsmDeps& deps, const Parameter& p, const ParameterVersion& v,
                                               bool decrypt);

// Offset pagination tokens.
std::string PageToken(size_t next);
std::optional<size_t> PageOffset(const object& in);

}  // namespace wharf::api::ssm
