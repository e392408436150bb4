#include "api/iam/common.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "base/clock.h"
#include "base/percent.h"
#include "controlplane/authorizer.h"
#include "controlplane/records.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {

AwsError IamError(const Status& status) {
  if (status.IsNotFound()) return NoSuchEntity(status.message());
  if (status.IsAlreadyExists()) return EntityAlreadyExists(status.message());
  if (status.IsInvalidArgument()) return InvalidInput(status.message());
  if (status.IsFailedPrecondition()) return DeleteConflict(status.message());
  return AwsError::Server("ServiceFailure", status.message());
}

AwsError NoSuchEntity(std::string message) { return AwsError{"NoSuchEntity", std::move(message), 404}; }
AwsError EntityAlreadyExists(std::string message) {
  return AwsError{"EntityAlreadyExists", std::move(message), 409};
}
AwsError DeleteConflict(std::string message) { return AwsError{"DeleteConflict", std::move(message), 409}; }
AwsError LimitExceeded(std::string message) { return AwsError{"LimitExceeded", std::move(message), 409}; }
AwsError InvalidInput(std::string message) { return AwsError{"InvalidInput", std::move(message), 400}; }
AwsError ValidationError(std::string message) { return AwsError{"ValidationError", std::move(message), 400}; }
AwsError UnmodifiableEntity(std::string message) {
  return AwsError{"UnmodifiableEntity", std::move(message), 400};
}

Outcome Apply(const Deps& deps, const std::function<Result<Decision>(store::Draft&)>& decide) {
  auto done = store::Update(deps.store, [&](store::Draft& draft) { return decide(draft); });
  if (!done.ok()) return IamError(done.status());
  if (!done->has_value()) {
    return AwsError{"ConcurrentModification", "Too many concurrent updates; retry.", 409};
  }
  if (deps.authorizer) deps.authorizer->Changed();
  return std::move(**done);
}

Result<std::optional<object>> Read(store::Draft& draft, const std::string& key) {
  return controlplane::GetRecord(draft, key);
}

void Write(store::Draft& draft, const std::string& key, const object& record) {
  controlplane::PutRecord(draft, key, record);
}

Result<std::vector<object>> LoadAll(const Deps& deps, std::string_view prefix) {
  return controlplane::LoadRecords(deps.store, prefix);
}

object Paginate(array items, const object& in, std::string_view member) {
  size_t start = 0;
  if (auto marker = in.if_contains("Marker"); marker && marker->is_string()) {
    start = static_cast<size_t>(std::max(0, wharf::IntFromText(marker->get_string(), 0)));
  }
  size_t max_items = 100;
  if (auto max = in.if_contains("MaxItems"); max && max->is_int64()) {
    max_items = static_cast<size_t>(std::max<int64_t>(1, max->get_int64()));
  }
  array page;
  for (size_t i = start; i < items.size() && page.size() < max_items; ++i) page.push_back(std::move(items[i]));
  object out{{member, std::move(page)}};
  size_t next = start + out[member].get_array().size();
  out["IsTruncated"] = next < items.size();
  if (next < items.size()) out["Marker"] = std::to_string(next);
  return out;
}

double Now(const Deps& deps) { return std::floor(EpochSeconds(deps.clock.Now())); }

std::string Str(const object& o, std::string_view key, std::string_view fallback) {
  return wharf::GetString(o, key, fallback);
}

std::string Arg(const object& in, std::string_view key) { return wharf::GetString(in, key); }

std::string PathOf(const object& in, std::string_view key) {
  std::string path = wharf::GetString(in, key);
  return path.empty() ? "/" : path;
}

bool PathHasPrefix(std::string_view path, std::string_view prefix) {
  return prefix.empty() || path.starts_with(prefix);
}

bool NameEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string EncodeDocument(std::string_view text) { return PercentEncode(text, false); }

bool Contains(const array& a, std::string_view value) {
  return std::any_of(a.begin(), a.end(), [&](const json::value& v) {
    return v.is_string() && NameEquals(v.get_string(), value);
  });
}

void AddUnique(array& a, std::string_view value) {
  if (!Contains(a, value)) a.emplace_back(json::string(value));
}

bool RemoveValue(array& a, std::string_view value) {
  for (auto it = a.begin(); it != a.end(); ++it) {
    if (it->is_string() && NameEquals(it->get_string(), value)) {
      a.erase(it);
      return true;
    }
  }
  return false;
}

array& ArrayField(object& o, std::string_view key) {
  json::value& v = o[key];
  if (!v.is_array()) v = array();
  return v.get_array();
}

object& ObjectField(object& o, std::string_view key) {
  json::value& v = o[key];
  if (!v.is_object()) v = object();
  return v.get_object();
}

std::optional<AwsError> MergeTags(object& shape, const json::value* tags, std::string_view quota) {
  if (!tags || !tags->is_array()) return std::nullopt;
  array& have = ArrayField(shape, "Tags");
  for (const auto& t : tags->get_array()) {
    if (!t.is_object()) continue;
    std::string key = wharf::GetString(t.get_object(), "Key");
    json::value value = json::string(wharf::GetString(t.get_object(), "Value"));
    bool replaced = false;
    for (auto& h : have) {
      if (h.is_object() && wharf::GetString(h.get_object(), "Key") == key) {
        h.get_object()["Value"] = value;
        replaced = true;
      }
    }
    if (!replaced) have.push_back(object{{"Key", key}, {"Value", value}});
  }
  if (have.size() > 50) return LimitExceeded("Cannot exceed quota for " + std::string(quota) + ": 50");
  if (have.empty()) shape.erase("Tags");
  return std::nullopt;
}

void RemoveTags(object& shape, const json::value* keys) {
  if (!keys || !keys->is_array() || !shape.contains("Tags")) return;
  array& have = ArrayField(shape, "Tags");
  array kept;
  for (auto& h : have) {
    bool drop = false;
    for (const auto& k : keys->get_array()) {
      if (h.is_object() && k.is_string() && wharf::GetString(h.get_object(), "Key") == k.get_string()) drop = true;
    }
    if (!drop) kept.push_back(h);
  }
  if (kept.empty()) {
    shape.erase("Tags");
  } else {
    have = std::move(kept);
  }
}

const EntityKind kUser{"user", "User", "UserName", "UserId", "User", model::keys::IamUserKey};
const EntityKind kGroup{"group", "Group", "GroupName", "GroupId", "Group", model::keys::IamGroupKey};
const EntityKind kRole{"role", "Role", "RoleName", "RoleId", "Role", model::keys::IamRoleKey};

AwsError NoSuchEntityOf(const EntityKind& kind, std::string_view name) {
  return NoSuchEntity("The " + std::string(kind.type) + " with name " + std::string(name) + " cannot be found.");
}

Result<std::variant<object, AwsError>> ReadEntity(store::Draft& draft, const EntityKind& kind,
                                                  std::string_view name) {
  ASSIGN_OR_RETURN(auto record, Read(draft, kind.key(name)));
  if (!record) return std::variant<object, AwsError>(NoSuchEntityOf(kind, name));
  return std::variant<object, AwsError>(std::move(*record));
}

std::optional<PolicyRef> ParsePolicyArn(const Deps& deps, std::string_view arn) {
  if (model::iam::IsAwsManagedPolicyArn(arn)) {
    const ManagedPolicy* managed = FindManagedPolicy(arn);
    if (!managed) return std::nullopt;
    return PolicyRef{std::string(arn), managed->name, true, managed};
  }
  std::string prefix = "arn:aws:iam::" + deps.account_id + ":policy/";
  if (!arn.starts_with(prefix)) return std::nullopt;
  std::string_view rest = arn.substr(prefix.size());
  size_t slash = rest.rfind('/');
  std::string name(slash == std::string_view::npos ? rest : rest.substr(slash + 1));
  if (name.empty()) return std::nullopt;
  return PolicyRef{std::string(arn), name, false, nullptr};
}

std::string AttachmentsKey(const PolicyRef& ref) {
  return ref.aws_managed ? model::keys::IamAwsPolicyAttachmentsKey(ref.name) : model::keys::IamPolicyKey(ref.name);
}

Result<bool> PolicyExists(store::Draft& draft, const PolicyRef& ref) {
  if (ref.aws_managed) return true;
  ASSIGN_OR_RETURN(auto record, Read(draft, model::keys::IamPolicyKey(ref.name)));
  return record && Str(wharf::GetObject(*record, "Policy"), "Arn") == ref.arn;
}

AwsError NotAttachable(std::string_view arn) {
  return NoSuchEntity("Policy " + std::string(arn) + " does not exist or is not attachable.");
}

}  // namespace wharf::api::iam
