#include "agent/task_secrets.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <set>
#include <tuple>

#include "model/container_secret.h"
#include "model/json.h"

namespace wharf::agent {
namespace json = boost::json;

namespace {

constexpr std::string_view kReasonPrefix =
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ";
constexpr size_t kParametersPerCall = 10;  // GetParameters' limit

Status Failed(std::string_view what) { return Status::FailedPrecondition(std::string(kReasonPrefix) + std::string(what)); }

// A failed call as the ECS agent's SDK (Go v2) words it. ServerClient makes an AWS error
// answer (4xx) InvalidArgument "<Code>: <message>"; anything else did not reach the service.
std::string CallError(std::string_view service, std::string_view operation, const Status& st) {
  std::string out = "operation error " + std::string(service) + ": " + std::string(operation) + ", ";
  if (st.IsInvalidArgument()) return out + "https response error StatusCode: 400, api error " + st.message();
  return out + st.message();
}

// Where a use of a secret goes.
struct Use {
  enum class Kind { kEnvironment, kLogOption };
  std::string container;
  Kind kind;
  std::string name;  // the variable's or the option's
  model::SecretSource source;
};

// The region of an ARN's fourth field, or `fallback` for a name.
std::string RegionOf(std::string_view id, const std::string& fallback) {
  if (!id.starts_with("arn:")) return fallback;
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    start = id.find(':', start);
    if (start == std::string_view::npos) return fallback;
    ++start;
  }
  size_t end = id.find(':', start);
  return end == std::string_view::npos ? fallback : std::string(id.substr(start, end - start));
}

Status CollectUses(const json::object& container, const std::string& region, bool log_options_only,
                   std::vector<Use>& uses) {
  const std::string name = GetString(container, "name");
  auto add = [&](const json::array& list, Use::Kind kind) -> Status {
    for (const auto& v : list) {
      if (!v.is_object()) continue;
      const json::object& s = v.get_object();
      ASSIGN_OR_RETURN(model::SecretSource source, model::ParseSecretSource(GetString(s, "valueFrom"), region));
      uses.push_back(Use{name, kind, GetString(s, "name"), std::move(source)});
    }
    return Status::OK();
  };
  if (!log_options_only) RETURN_IF_ERROR(add(GetArray(container, "secrets"), Use::Kind::kEnvironment));
  return add(GetArray(GetObject(container, "logConfiguration"), "secretOptions"), Use::Kind::kLogOption);
}

// Every parameter the uses name, by (region, name as written) -> value.
Result<std::map<std::pair<std::string, std::string>, std::string>> FetchParameters(
    const std::vector<Use>& uses, const std::string& task_arn, ExecutionRoleCalls& calls) {
  std::map<std::string, std::vector<std::string>> by_region;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& u : uses) {
    if (u.source.kind != model::SecretSource::Kind::kParameter) continue;
    if (seen.insert({u.source.region, u.source.id}).second) by_region[u.source.region].push_back(u.source.id);
  }
  std::map<std::pair<std::string, std::string>, std::string> values;
  for (const auto& [region, names] : by_region) {
    for (size_t i = 0; i < names.size(); i += kParametersPerCall) {
      json::array batch;
      for (size_t j = i; j < names.size() && j < i + kParametersPerCall; ++j) batch.push_back(json::value(names[j]));
      json::object in{{"Names", batch}, {"WithDecryption", true}};
      auto out = calls.Call(task_arn, "ssm", "AmazonSSM.GetParameters", in, region);
      if (!out.ok()) {
        return Failed("unable to retrieve secrets from ssm: service call has been retried 1 time(s): " +
                      CallError("SSM", "GetParameters", out.status()));
      }
      std::string invalid;
      for (const auto& n : GetArray(*out, "InvalidParameters")) {
        if (!n.is_string()) continue;
        if (!invalid.empty()) invalid += ",";
        invalid += std::string(n.get_string());
      }
      if (!invalid.empty()) {
        return Failed("unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm "
                      "parameters: " + invalid);
      }
      // A parameter asked for by ARN answers with its name and its ARN: either matches.
      for (const auto& p : GetArray(*out, "Parameters")) {
        if (!p.is_object()) continue;
        const json::object& param = p.get_object();
        for (const auto& asked : batch) {
          std::string id(asked.get_string());
          if (GetString(param, "Name") == id || GetString(param, "ARN") == id) {
            values[{region, id}] = GetString(param, "Value");
          }
        }
      }
      for (const auto& asked : batch) {
        if (!values.count({region, std::string(asked.get_string())})) {
          return Failed("unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm "
                        "parameters: " + std::string(asked.get_string()));
        }
      }
    }
  }
  return values;
}

// GetSecretValue of one version of a secret; its SecretString.
Result<std::string> GetSecretString(const std::string& task_arn, const std::string& region, const std::string& id,
                                    const std::string& stage, const std::string& version_id,
                                    ExecutionRoleCalls& calls) {
  json::object in{{"SecretId", id}};
  if (!stage.empty()) in["VersionStage"] = stage;
  if (!version_id.empty()) in["VersionId"] = version_id;
  auto out = calls.Call(task_arn, "secretsmanager", "secretsmanager.GetSecretValue", in, region);
  if (!out.ok()) return out.status();
  return GetString(*out, "SecretString");
}

Status ResolveUses(const std::vector<Use>& uses, const std::string& task_arn, ExecutionRoleCalls& calls,
                   std::map<std::string, ContainerSecrets>& out) {
  ASSIGN_OR_RETURN(auto parameters, FetchParameters(uses, task_arn, calls));
  // One call per version of a secret, however many keys of it the containers take.
  std::map<std::tuple<std::string, std::string, std::string>, std::string> secrets;
  for (const auto& u : uses) {
    std::string value;
    if (u.source.kind == model::SecretSource::Kind::kParameter) {
      value = parameters.at({u.source.region, u.source.id});
    } else {
      auto key = std::make_tuple(u.source.id, u.source.version_stage, u.source.version_id);
      auto cached = secrets.find(key);
      if (cached == secrets.end()) {
        auto fetched = GetSecretString(task_arn, u.source.region, u.source.id, u.source.version_stage,
                                       u.source.version_id, calls);
        if (!fetched.ok()) {
          return Failed("unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
                        "secret " + u.source.id + " from secrets manager: " +
                        CallError("Secrets Manager", "GetSecretValue", fetched.status()));
        }
        cached = secrets.emplace(key, std::move(fetched).value()).first;
      }
      value = cached->second;
      if (!u.source.json_key.empty()) {
        auto taken = model::SecretJsonValue(value, u.source.json_key);
        if (!taken.ok()) return Failed(taken.status().message());
        value = std::move(taken).value();
      }
    }
    ContainerSecrets& c = out[u.container];
    if (u.kind == Use::Kind::kEnvironment) {
      c.environment.push_back(u.name + "=" + value);
    } else {
      c.log_options[u.name] = value;
    }
  }
  return Status::OK();
}

// repositoryCredentials.credentialsParameter: a secret whose JSON holds the registry's
// username and password, as the ECS agent reads it (asm auth).
Result<RegistryCredentials> FetchRegistryCredentials(const std::string& secret, const std::string& task_arn,
                                                     const std::string& region, ExecutionRoleCalls& calls) {
  auto fetched = GetSecretString(task_arn, RegionOf(secret, region), secret, "", "", calls);
  if (!fetched.ok()) {
    return Failed("unable to get registry auth from asm: service call has been retried 1 time(s): asm fetching "
                  "secret from the service for " + secret + ": " +
                  CallError("Secrets Manager", "GetSecretValue", fetched.status()));
  }
  auto fail = [](std::string_view why) {
    return Failed("unable to get registry auth from asm: " + std::string(why));
  };
  if (fetched->empty()) return fail("asm fetching authorization data: empty secrets value");
  boost::system::error_code ec;
  json::value v = json::parse(*fetched, ec);
  if (ec || !v.is_object()) return fail("asm fetching authorization data: unable to unmarshal secret value, invalid schema");
  RegistryCredentials creds{GetString(v.get_object(), "username"), GetString(v.get_object(), "password")};
  if (creds.username.empty()) return fail("asm fetching username: AuthorizationData is malformed, empty field");
  if (creds.password.empty()) return fail("asm fetching password: AuthorizationData is malformed, empty field");
  return creds;
}

}  // namespace

Result<json::object> ExecutionRoleClient::Call(const std::string& task_arn, std::string_view service,
                                               std::string_view target, const json::object& input,
                                               std::string_view region) {
  ASSIGN_OR_RETURN(SessionCredentials role, sessions_.Get(task_arn));
  return server_.Call(service, target, input, region, &role);
}

bool NeedsExecutionResources(const json::object& container) {
  return !GetArray(container, "secrets").empty() ||
         !GetArray(GetObject(container, "logConfiguration"), "secretOptions").empty() ||
         !GetString(GetObject(container, "repositoryCredentials"), "credentialsParameter").empty();
}

Result<std::map<std::string, ContainerSecrets>> FetchTaskSecrets(const std::vector<json::object>& containers,
                                                                 const std::string& task_arn,
                                                                 const std::string& region, ExecutionRoleCalls& calls) {
  std::map<std::string, ContainerSecrets> out;
  // Registry credentials first: the ECS agent resolves them before the secrets.
  for (const auto& c : containers) {
    std::string secret = GetString(GetObject(c, "repositoryCredentials"), "credentialsParameter");
    if (secret.empty()) continue;
    ASSIGN_OR_RETURN(RegistryCredentials creds, FetchRegistryCredentials(secret, task_arn, region, calls));
    out[GetString(c, "name")].registry = std::move(creds);
  }
  std::vector<Use> uses;
  for (const auto& c : containers) {
    Status collected = CollectUses(c, region, /*log_options_only=*/false, uses);
    if (!collected.ok()) return Failed(collected.message());
  }
  RETURN_IF_ERROR(ResolveUses(uses, task_arn, calls, out));
  return out;
}

Result<std::map<std::string, std::string>> FetchLogSecretOptions(const json::object& container,
                                                                 const std::string& task_arn,
                                                                 const std::string& region, ExecutionRoleCalls& calls) {
  std::vector<Use> uses;
  Status collected = CollectUses(container, region, /*log_options_only=*/true, uses);
  if (!collected.ok()) return Failed(collected.message());
  std::map<std::string, ContainerSecrets> out;
  RETURN_IF_ERROR(ResolveUses(uses, task_arn, calls, out));
  return out[GetString(container, "name")].log_options;
}

}  // namespace wharf::agent
