// Grants: kept in their key's record ("Grants"), each a ListGrants entry plus its token.
#include <boost/json/array.hpp>

#include "api/kms/handlers.h"
#include "controlplane/records.h"

namespace wharf::api::kms {
namespace json = boost::json;
namespace {

// Removes the grant `match` picks; NotFoundException when none does.
std::optional<AwsError> RemoveGrant(KmsKey& key, const std::function<bool(const object&)>& match,
                                    const std::string& described) {
  json::array kept;
  bool found = false;
  for (const auto& g : GetArray(key.record, "Grants")) {
    if (g.is_object() && match(g.as_object())) {
      found = true;
    } else {
      kept.push_back(g);
    }
  }
  if (!found) return AwsError::Client("NotFoundException", "Grant ID " + described + " not found");
  key.record["Grants"] = std::move(kept);
  return std::nullopt;
}

object Empty(const KmsKey&) { return object{}; }

}  // namespace

Outcome CreateGrant(const KmsDeps& deps, const RequestContext&, object& in) {
  std::string grant_id = RandomHex(deps.random, 64);
  std::string token = RandomHex(deps.random, 128);
  double now = Now(deps);
  std::string name = GetString(in, "Name");
  std::string existing_id, existing_token;
  Outcome out = UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) -> std::optional<AwsError> {
    if (auto r = model::CheckEnable(key)) return Refused(*r);
    json::array grants = GetArray(key.record, "Grants");
    if (!name.empty()) {  // the same Name and terms: the same grant, as AWS answers a retry
      for (const auto& g : grants) {
        const object& o = g.as_object();
        if (GetString(o, "Name") == name && GetString(o, "GranteePrincipal") == GetString(in, "GranteePrincipal") &&
            o.at("Operations") == in["Operations"]) {
          existing_id = GetString(o, "GrantId");
          existing_token = GetString(o, "GrantToken");
          return std::nullopt;
        }
      }
    }
    if (grants.size() >= 50000) return AwsError::Client("LimitExceededException", "Too many grants on this key");
    object grant{{"KeyId", key.arn()},
                 {"GrantId", grant_id},
                 {"GrantToken", token},
                 {"CreationDate", now},
                 {"GranteePrincipal", GetString(in, "GranteePrincipal")},
                 {"IssuingAccount", "arn:aws:iam::" + deps.account_id + ":root"},
                 {"Operations", in["Operations"]}};
    if (!name.empty()) grant["Name"] = name;
    if (Has(in, "RetiringPrincipal")) grant["RetiringPrincipal"] = GetString(in, "RetiringPrincipal");
    if (Has(in, "Constraints")) grant["Constraints"] = GetObject(in, "Constraints");
    grants.push_back(std::move(grant));
    key.record["Grants"] = std::move(grants);
    return std::nullopt;
  }, Empty);
  if (!out.ok()) return out;
  if (!existing_id.empty()) return object{{"GrantToken", existing_token}, {"GrantId", existing_id}};
  return object{{"GrantToken", token}, {"GrantId", grant_id}};
}

Outcome ListGrants(const KmsDeps& deps, const RequestContext&, object& in) {
  auto found = FindKey(deps, GetString(in, "KeyId"));
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  std::string grant_id = GetString(in, "GrantId"), grantee = GetString(in, "GranteePrincipal");
  int64_t limit = GetInt(in, "Limit").value_or(50);
  std::string marker = GetString(in, "Marker");
  json::array grants;
  bool past_marker = marker.empty(), truncated = false;
  std::string last;
  for (const auto& g : GetArray(std::get<KmsKey>(found).record, "Grants")) {
    object o = g.as_object();
    std::string id = GetString(o, "GrantId");
    if (!past_marker) {
      past_marker = id == marker;
      continue;
    }
    if (!grant_id.empty() && id != grant_id) continue;
    if (!grantee.empty() && GetString(o, "GranteePrincipal") != grantee) continue;
    if (static_cast<int64_t>(grants.size()) == limit) {
      truncated = true;
      break;
    }
    o.erase("GrantToken");
    last = id;
    grants.push_back(std::move(o));
  }
  object out{{"Grants", std::move(grants)}, {"Truncated", truncated}};
  if (truncated) out["NextMarker"] = last;
  return out;
}

Outcome RetireGrant(const KmsDeps& deps, const RequestContext&, object& in) {
  std::string token = GetString(in, "GrantToken"), grant_id = GetString(in, "GrantId");
  if (!token.empty()) {
    // The token names its grant: find the key that holds it.
    ASSIGN_OR_FAIL(auto records, controlplane::ReadRecords(deps.store, model::keys::kKmsKeys), KmsError);
    for (const auto& r : records) {
      for (const auto& g : GetArray(r.value, "Grants")) {
        if (!g.is_object() || GetString(g.as_object(), "GrantToken") != token) continue;
        std::string key_id = GetString(GetObject(r.value, "KeyMetadata"), "KeyId");
        return UpdateKey(deps, key_id, [&](KmsKey& key) {
          return RemoveGrant(key, [&](const object& o) { return GetString(o, "GrantToken") == token; }, "token");
        }, Empty);
      }
    }
    return AwsError::Client("InvalidGrantTokenException", "Invalid grant token");
  }
  if (grant_id.empty() || !Has(in, "KeyId")) {
    return Validation("Either GrantToken or both KeyId and GrantId must be specified");
  }
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) {
    return RemoveGrant(key, [&](const object& o) { return GetString(o, "GrantId") == grant_id; }, grant_id);
  }, Empty);
}

Outcome RevokeGrant(const KmsDeps& deps, const RequestContext&, object& in) {
  std::string grant_id = GetString(in, "GrantId");
  return UpdateKey(deps, GetString(in, "KeyId"), [&](KmsKey& key) {
    return RemoveGrant(key, [&](const object& o) { return GetString(o, "GrantId") == grant_id; }, grant_id);
  }, Empty);
}

}  // namespace wharf::api::kms
