// AWS KMS (prefix kms). Resource types:
//   key     arn:aws:kms:<region>:<account>:key/<key id>
//   alias   arn:aws:kms:<region>:<account>:alias/<alias name>
// An operation on a key is checked on the key's ARN whichever of its names the request uses:
// a key id or key ARN here; an alias name or alias ARN becomes the alias ARN with the
// condition key kms:RequestAlias, and the KMS endpoint's resolve_check turns it into the ARN
// of the key the alias names before the policies are read (api/kms/kms.cc), as AWS authorizes
// the key an alias points to. Decrypt without KeyId (and
// ReEncrypt without SourceKeyId) is checked on the key that made the ciphertext, whose id the
// blob carries in its header (kms/ciphertext_blob.h). The cryptographic operations carry the
// request's encryption context as kms:EncryptionContext:<key> and kms:EncryptionContextKeys,
// which grant constraints and key policies test. The key's policy decides with IAM's
// (ServiceEndpoint::resource_policy_required). CreateKey, ListKeys, ListAliases,
// GenerateRandom and the rest are checked on "*".
#include <boost/json/object.hpp>

#include "api/authz/request.h"
#include "base/crypto.h"

namespace wharf::api::authz {

namespace {

std::string KeyArn(const Request& r, std::string_view ref) {
  if (ref.starts_with("arn:")) return std::string(ref);
  if (ref.starts_with("alias/")) return r.Arn("kms", std::string(ref));
  return r.Arn("kms", "key/" + std::string(ref));
}

// The key id in a ciphertext blob's header: "WKM" 0x01, a length byte, the id. Empty for
// anything else (the handler answers InvalidCiphertextException).
std::string BlobKeyId(std::string_view blob_base64) {
  auto bytes = Base64Decode(blob_base64);
  if (!bytes || bytes->size() < 5 || bytes->compare(0, 4, std::string("WKM\x01", 4)) != 0) return "";
  size_t length = static_cast<unsigned char>((*bytes)[4]);
  if (length == 0 || bytes->size() < 5 + length) return "";
  return bytes->substr(5, length);
}

void AddContext(Check& c, const Request& r, std::string_view member) {
  const boost::json::value* context = r.Get(member);
  if (!context || !context->is_object()) return;
  for (const auto& [k, v] : context->get_object()) {
    if (!v.is_string()) continue;
    AddKey(c, "kms:EncryptionContext:" + std::string(k), std::string(v.get_string()));
    AddKey(c, "kms:EncryptionContextKeys", std::string(k));
  }
}

bool IsAlias(std::string_view ref) { return ref.starts_with("alias/") || ref.find(":alias/") != std::string_view::npos; }

// The check of `action` on the key `ref` names; an alias is kept as kms:RequestAlias.
Check& OnKeyNamed(Request& r, std::string_view action, std::string_view ref) {
  if (ref.empty()) return r.Need(action);  // the handler refuses the request
  Check& c = r.Need(action, KeyArn(r, ref));
  if (IsAlias(ref)) AddKey(c, "kms:RequestAlias", std::string(ref.substr(ref.find("alias/"))));
  return c;
}

Check& OnKey(Request& r, std::string_view action, std::string_view member = "KeyId") {
  return OnKeyNamed(r, action, r.Str(member));
}

void Cryptographic(Request& r, std::string_view action) { AddContext(OnKey(r, action), r, "EncryptionContext"); }

void Decrypt(Request& r) {
  std::string_view key = r.Str("KeyId");
  std::string from_blob = key.empty() ? BlobKeyId(r.Str("CiphertextBlob")) : "";
  if (key.empty() && from_blob.empty()) return;  // checked on "*"; the handler refuses the blob
  Check& c = OnKeyNamed(r, "Decrypt", key.empty() ? std::string_view(from_blob) : key);
  AddContext(c, r, "EncryptionContext");
}

void ReEncrypt(Request& r) {
  std::string_view source = r.Str("SourceKeyId");
  std::string from_blob = source.empty() ? BlobKeyId(r.Str("CiphertextBlob")) : "";
  if (!source.empty() || !from_blob.empty()) {
    Check& c = OnKeyNamed(r, "ReEncryptFrom", source.empty() ? std::string_view(from_blob) : source);
    AddContext(c, r, "SourceEncryptionContext");
  }
  AddContext(OnKey(r, "ReEncryptTo", "DestinationKeyId"), r, "DestinationEncryptionContext");
}

// CreateAlias and UpdateAlias need the action on the alias and on the key it will name;
// DeleteAlias on the alias and on the key it names.
void OnAlias(Request& r, std::string_view action, bool target) {
  std::string_view alias = r.Str("AliasName");
  r.Need(action, KeyArn(r, alias));
  if (target) {
    OnKey(r, action, "TargetKeyId");
  } else if (IsAlias(alias)) {
    OnKeyNamed(r, action, alias);
  }
}

constexpr Entry kEntries[] = {
    {"Encrypt", [](Request& r) { Cryptographic(r, "Encrypt"); }},
    {"Decrypt", Decrypt},
    {"ReEncrypt", ReEncrypt},
    {"GenerateDataKey", [](Request& r) { Cryptographic(r, "GenerateDataKey"); }},
    {"GenerateDataKeyWithoutPlaintext", [](Request& r) { Cryptographic(r, "GenerateDataKeyWithoutPlaintext"); }},
    {"GenerateDataKeyPair", [](Request& r) { Cryptographic(r, "GenerateDataKeyPair"); }},
    {"GenerateDataKeyPairWithoutPlaintext",
     [](Request& r) { Cryptographic(r, "GenerateDataKeyPairWithoutPlaintext"); }},
    {"GenerateMac", [](Request& r) { OnKey(r, "GenerateMac"); }},
    {"VerifyMac", [](Request& r) { OnKey(r, "VerifyMac"); }},
    {"Sign", [](Request& r) { OnKey(r, "Sign"); }},
    {"Verify", [](Request& r) { OnKey(r, "Verify"); }},
    {"GetPublicKey", [](Request& r) { OnKey(r, "GetPublicKey"); }},
    {"DescribeKey", [](Request& r) { OnKey(r, "DescribeKey"); }},
    {"EnableKey", [](Request& r) { OnKey(r, "EnableKey"); }},
    {"DisableKey", [](Request& r) { OnKey(r, "DisableKey"); }},
    {"ScheduleKeyDeletion", [](Request& r) { OnKey(r, "ScheduleKeyDeletion"); }},
    {"CancelKeyDeletion", [](Request& r) { OnKey(r, "CancelKeyDeletion"); }},
    {"EnableKeyRotation", [](Request& r) { OnKey(r, "EnableKeyRotation"); }},
    {"DisableKeyRotation", [](Request& r) { OnKey(r, "DisableKeyRotation"); }},
    {"GetKeyRotationStatus", [](Request& r) { OnKey(r, "GetKeyRotationStatus"); }},
    {"RotateKeyOnDemand", [](Request& r) { OnKey(r, "RotateKeyOnDemand"); }},
    {"ListKeyRotations", [](Request& r) { OnKey(r, "ListKeyRotations"); }},
    {"GetKeyPolicy", [](Request& r) { OnKey(r, "GetKeyPolicy"); }},
    {"PutKeyPolicy", [](Request& r) { OnKey(r, "PutKeyPolicy"); }},
    {"ListKeyPolicies", [](Request& r) { OnKey(r, "ListKeyPolicies"); }},
    {"UpdateKeyDescription", [](Request& r) { OnKey(r, "UpdateKeyDescription"); }},
    {"TagResource", [](Request& r) { AddRequestTags(OnKey(r, "TagResource"), r.Get("Tags")); }},
    {"UntagResource", [](Request& r) { AddTagKeys(OnKey(r, "UntagResource"), r.Get("TagKeys")); }},
    {"ListResourceTags", [](Request& r) { OnKey(r, "ListResourceTags"); }},
    {"CreateGrant", [](Request& r) { OnKey(r, "CreateGrant"); }},
    {"ListGrants", [](Request& r) { OnKey(r, "ListGrants"); }},
    {"RevokeGrant", [](Request& r) { OnKey(r, "RevokeGrant"); }},
    // RetireGrant by token alone names no key: checked on "*".
    {"RetireGrant",
     [](Request& r) {
       if (!r.Str("KeyId").empty()) OnKey(r, "RetireGrant");
     }},
    {"CreateAlias", [](Request& r) { OnAlias(r, "CreateAlias", true); }},
    {"UpdateAlias", [](Request& r) { OnAlias(r, "UpdateAlias", true); }},
    {"DeleteAlias", [](Request& r) { OnAlias(r, "DeleteAlias", false); }},
};

}  // namespace

const ServiceTable kKmsTable = {"kms", "kms", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
                                [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
