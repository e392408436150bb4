#include "api/ecr/kms_data_keys.h"

#include "base/crypto.h"
#include "kms/aes_gcm.h"

namespace wharf::api::ecr {
namespace {

constexpr std::string_view kContextKey = "aws:ecr:arn";

Status Refused(const AwsError& error) { return Status::FailedPrecondition(error.code + ": " + error.message); }

}  // namespace

Result<std::string> KmsDataKeys::Open(std::string_view repository_arn, std::string_view wrapped_base64) {
  auto blob = Base64Decode(wrapped_base64);
  if (!blob) return Status::Internal("corrupt data key of " + std::string(repository_arn));
  auto opened = kms::DecryptBlob(kms_, *blob, {{std::string(kContextKey), std::string(repository_arn)}});
  if (auto* err = std::get_if<AwsError>(&opened)) return Refused(*err);
  return std::move(std::get<kms::Opened>(opened).plaintext);
}

Result<registry::DataKeys::Made> KmsDataKeys::Make(std::string_view repository_arn, std::string_view key_ref) {
  std::string plaintext = wharf::kms::RandomBytes(kms_.random, wharf::kms::kKeyBytes);
  auto sealed = kms::EncryptWith(kms_, key_ref, plaintext, {{std::string(kContextKey), std::string(repository_arn)}});
  if (auto* err = std::get_if<AwsError>(&sealed)) return Refused(*err);
  const auto& s = std::get<kms::Sealed>(sealed);
  return Made{s.key_arn, Base64Encode(s.blob)};
}

AwsError KmsException(const Status& status) {
  std::string text = status.message();
  size_t colon = text.find(": ");
  std::string code = colon == std::string::npos ? "KMSInternalException" : text.substr(0, colon);
  std::string message = colon == std::string::npos ? text : text.substr(colon + 2);
  AwsError error = AwsError::Client("KmsException", message);
  error.extra = boost::json::object{{"kmsError", code}};
  return error;
}

}  // namespace wharf::api::ecr
