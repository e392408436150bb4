#include "api/ssm/common.h"

#include "base/crypto.h"
#include "controlplane/records.h"
#include "store/update.h"

namespace wharf::api::ssm {

AwsError SsmError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kNotFound: return NotFound();
    case Status::Code::kInvalidArgument: return Validation(status.message());
    default: return AwsError::Server("InternalServerError", status.message());
  }
}

AwsError NotFound() { return AwsError::Client("ParameterNotFound", ""); }
AwsError Validation(std::string message) { return AwsError::Client("ValidationException", std::move(message)); }
AwsError TooManyUpdates() {
  return AwsError::Client("TooManyUpdates", "There are concurrent updates for the resource that you tried to update.");
}
double Now(const SsmDeps& deps) { return EpochSeconds(deps.clock.Now()); }

std::string ParameterArn(const SsmDeps& deps, std::string_view name) {
  std::string arn = "arn:aws:ssm:" + deps.region + ":" + deps.account_id + ":parameter";
  if (!name.starts_with("/")) arn += "/";
  return arn + std::string(name);
}

std::string NameOf(const SsmDeps& deps, std::string_view id) {
  std::string prefix = "arn:aws:ssm:" + deps.region + ":" + deps.account_id + ":parameter";
  if (!id.starts_with(prefix)) return std::string(id);
  std::string rest(id.substr(prefix.size()));  // "/x" or "/a/b"
  if (rest.find('/', 1) == std::string::npos && rest.size() > 1) {
    auto plain = deps.store.Get(model::keys::SsmParameterKey(rest.substr(1)));
    if (plain.ok() && *plain) return rest.substr(1);
  }
  return rest;
}

std::variant<StoredParameter, AwsError> LoadParameter(const SsmDeps& deps, const std::string& name) {
  std::string key = model::keys::SsmParameterKey(name);
  auto record = controlplane::ReadRecord(deps.store, key);
  if (!record.ok()) return SsmError(record.status());
  if (!*record) return NotFound();
  auto p = Parameter::FromJson((*record)->value);
  if (!p.ok()) return SsmError(p.status());
  return StoredParameter{std::move(*p), key, (*record)->mod_revision};
}

Result<std::vector<Parameter>> LoadParameters(const SsmDeps& deps) {
  ASSIGN_OR_RETURN(auto records, controlplane::ReadRecords(deps.store, model::keys::kSsmParameters));
  std::vector<Parameter> out;
  for (const auto& r : records) {
    ASSIGN_OR_RETURN(auto p, Parameter::FromJson(r.value));
    out.push_back(std::move(p));
  }
  return out;
}

Outcome ChangeParameter(const SsmDeps& deps, const std::string& name,
                        const std::function<std::variant<object, AwsError>(std::optional<Parameter>& p)>& change) {
  auto updated = controlplane::UpdateRecord(
      deps.store, model::keys::SsmParameterKey(name), [&](std::optional<object>& record) -> store::Decision<Outcome> {
        std::optional<Parameter> p;
        if (record) {
          auto parsed = Parameter::FromJson(*record);
          if (!parsed.ok()) return SsmError(parsed.status());
          p = std::move(*parsed);
        }
        auto answer = change(p);
        if (auto* err = std::get_if<AwsError>(&answer)) return *err;
        record = p ? std::optional<object>(p->ToJson()) : std::nullopt;
        return store::Commit(Outcome(std::move(std::get<object>(answer))));
      });
  if (!updated.ok()) return SsmError(updated.status());
  if (!*updated) return TooManyUpdates();
  return std::move(**updated);
}

std::variant<std::string, AwsError> ShownValue(const SsmDeps& deps, const Parameter& p, const ParameterVersion& v,
                                               bool decrypt) {
  if (v.type != "SecureString") return v.value;
  if (!decrypt) return v.ciphertext;
  auto blob = Base64Decode(v.ciphertext);
  if (!blob) return AwsError::Server("InternalServerError", "stored ciphertext is not base64");
  auto opened = kms::DecryptBlob(deps.kms, *blob, {{"PARAMETER_ARN", ParameterArn(deps, p.name)}});
  if (auto* err = std::get_if<AwsError>(&opened)) {
    return AwsError::Client("InvalidKeyId", err->code + ": " + err->message);
  }
  return std::move(std::get<kms::Opened>(opened).plaintext);
}

std::variant<object, AwsError> Present(const SsmDeps& deps, const Parameter& p, const ParameterVersion& v,
                                       bool decrypt, const std::string& selector) {
  auto value = ShownValue(deps, p, v, decrypt);
  if (auto* err = std::get_if<AwsError>(&value)) return *err;
  object out{{"Name", p.name}, {"Type", v.type}, {"Value", std::move(std::get<std::string>(value))},
             {"Version", v.version}};
  if (!selector.empty()) out["Selector"] = selector;
  out["LastModifiedDate"] = v.modified;
  out["ARN"] = ParameterArn(deps, p.name);
  out["DataType"] = v.data_type;
  return out;
}

std::string PageToken(size_t next) { return Base64Encode("ssm:" + std::to_string(next)); }

std::optional<size_t> PageOffset(const object& in) {
  if (!Has(in, "NextToken")) return 0;
  auto token = Base64Decode(GetString(in, "NextToken"));
  if (!token || !token->starts_with("ssm:") || token->size() == 4 ||
      token->find_first_not_of("0123456789", 4) != std::string::npos) {
    return std::nullopt;
  }
  return std::stoul(token->substr(4));
}

}  // namespace wharf::api::ssm
