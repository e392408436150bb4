// AWS Secrets Manager (prefix secretsmanager). One resource type, the secret:
//   arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>
// A request naming the secret by its ARN checks that ARN. One naming it by name is checked as
// arn:...:secret:<name>: the random suffix is the stored record's, which this table cannot
// read (an approximation: a policy naming "secret:<name>-*" does not match it; docs/IAM_POLICY.md).
// Operations not listed here (CreateSecret, ListSecrets, ...) are checked on "*".
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

std::string SecretArn(const Request& r, std::string_view id) {
  if (id.starts_with("arn:")) return std::string(id);
  return r.Arn("secretsmanager", "secret:" + std::string(id));
}

Check& OnSecret(Request& r, std::string_view action) {
  std::string_view id = r.Str("SecretId");
  Check& c = r.Need(action, SecretArn(r, id));
  AddKey(c, "secretsmanager:SecretId", std::string(id));
  return c;
}

void GetSecretValue(Request& r) {
  Check& c = OnSecret(r, "GetSecretValue");
  if (!r.Str("VersionId").empty()) AddKey(c, "secretsmanager:VersionId", std::string(r.Str("VersionId")));
  if (!r.Str("VersionStage").empty()) AddKey(c, "secretsmanager:VersionStage", std::string(r.Str("VersionStage")));
}

constexpr Entry kEntries[] = {
    {"GetSecretValue", GetSecretValue},
    {"DescribeSecret", [](Request& r) { OnSecret(r, "DescribeSecret"); }},
    {"PutSecretValue", [](Request& r) { OnSecret(r, "PutSecretValue"); }},
    {"UpdateSecret", [](Request& r) { OnSecret(r, "UpdateSecret"); }},
    {"DeleteSecret", [](Request& r) { OnSecret(r, "DeleteSecret"); }},
    {"RestoreSecret", [](Request& r) { OnSecret(r, "RestoreSecret"); }},
    {"ListSecretVersionIds", [](Request& r) { OnSecret(r, "ListSecretVersionIds"); }},
    {"UpdateSecretVersionStage", [](Request& r) { OnSecret(r, "UpdateSecretVersionStage"); }},
    {"GetResourcePolicy", [](Request& r) { OnSecret(r, "GetResourcePolicy"); }},
    {"PutResourcePolicy", [](Request& r) { OnSecret(r, "PutResourcePolicy"); }},
    {"DeleteResourcePolicy", [](Request& r) { OnSecret(r, "DeleteResourcePolicy"); }},
};

}  // namespace

const ServiceTable kSecretsManagerTable = {
    "secretsmanager", "secretsmanager", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
