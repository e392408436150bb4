#include "controlplane/authorizer.h"

#include <boost/json/object.hpp>
#include <algorithm>
#include <cctype>

#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::controlplane {
namespace json = boost::json;
namespace fields = model::iam;

namespace {

// The records under iam/ that are not users, groups, roles or policies: a change there
// changes nobody's permissions.
bool ChangesPermissions(std::string_view key) {
  return !key.starts_with(model::keys::kAccessKeyLastUsed) && !key.starts_with(model::keys::kAccessKeys) &&
         !key.starts_with(model::keys::kIamSessions);
}

Result<json::object> ReadRecord(store::Store& store, const std::string& key) {
  ASSIGN_OR_RETURN(auto kv, store.Get(key));
  if (!kv) return Status::NotFound(key);
  return wharf::ParseObject(kv->value);
}

Result<iam::Policy> Parse(std::string_view document, std::string_view what) {
  auto policy = iam::ParsePolicy(document, {iam::PolicyKind::kIdentity, false});
  // A stored document was checked when IAM took it; failing now means the checker changed.
  if (!policy.ok()) return Status::Internal(std::string(what) + ": " + policy.status().message());
  return policy;
}

void AddTags(const json::object& shape, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& tag : wharf::GetArray(shape, "Tags")) {
    if (!tag.is_object()) continue;
    out.emplace_back(wharf::GetString(tag.get_object(), "Key"), wharf::GetString(tag.get_object(), "Value"));
  }
}

// Notes which condition keys `policy` reads.
void NoteKeys(const iam::Policy& policy, CallerPolicies& out) {
  for (const auto& st : policy.statements) {
    for (const auto& c : st.conditions) {
      if (std::find(out.keys_used.begin(), out.keys_used.end(), c.key) == out.keys_used.end()) {
        out.keys_used.push_back(c.key);
      }
      for (const auto& v : c.values) out.uses_every_key |= v.pattern.has_variables;
    }
    for (const auto& r : st.resources) out.uses_every_key |= r.pattern.has_variables;
  }
}

}  // namespace

std::optional<iam::Decision> CallerPolicies::CachedDecision(const std::string& key) const {
  MutexLock lock(decisions_mu_);
  auto it = decisions_.find(key);
  if (it == decisions_.end()) return std::nullopt;
  return it->second;
}

void CallerPolicies::CacheDecision(std::string key, iam::Decision decision) const {
  MutexLock lock(decisions_mu_);
  if (decisions_.size() >= 4096) decisions_.clear();  // a caller touching many resources
  decisions_.emplace(std::move(key), decision);
}

bool CallerPolicies::Uses(std::string_view key) const {
  if (uses_every_key) return true;
  return std::any_of(keys_used.begin(), keys_used.end(), [&](const std::string& used) {
    return used.size() == key.size() && std::equal(used.begin(), used.end(), key.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  });
}

bool CallerPolicies::UsesPrefix(std::string_view prefix) const {
  if (uses_every_key) return true;
  return std::any_of(keys_used.begin(), keys_used.end(), [&](const std::string& used) {
    return used.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), used.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  });
}

iam::PolicySet CallerPolicies::Set(const iam::Policy* resource) const {
  iam::PolicySet set;
  for (const auto& p : identity) set.identity.push_back(&p);
  set.resource = resource;
  if (permissions_boundary) set.permissions_boundary = &*permissions_boundary;
  for (const auto& p : session) set.session.push_back(&p);
  set.has_session_policies = has_session_policies;
  return set;
}

Authorizer::~Authorizer() { watch_.reset(); }

Status Authorizer::Start() {
  ASSIGN_OR_RETURN(int64_t revision, store_.CurrentRevision());
  ASSIGN_OR_RETURN(watch_, store_.WatchPrefix("iam/", revision, [this](const std::vector<store::Event>& events) {
    for (const auto& e : events) {
      if (ChangesPermissions(e.kv.key)) return Changed();
    }
  }));
  return Status::OK();
}

Result<std::shared_ptr<const CallerPolicies>> Authorizer::PoliciesOf(const Caller& caller) {
  std::string key = caller.kind == iam::PrincipalKind::kRoleSession ? "session/" + caller.session_key
                                                                    : "user/" + caller.user_name;
  uint64_t generation = generation_.load(std::memory_order_acquire);
  {
    MutexLock lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.generation == generation) return it->second.policies;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<CallerPolicies> loaded, Load(caller));
  std::shared_ptr<const CallerPolicies> policies = std::move(loaded);
  MutexLock lock(mu_);
  // Sessions come and go: a cache that only grows is emptied now and then.
  if (cache_.size() > 4096) cache_.clear();
  cache_[key] = Entry{generation, policies};
  return policies;
}

std::shared_ptr<const Authorizer::Tags> Authorizer::ResourceTagsOf(
    std::string_view region, std::string_view arn, const std::function<Tags(std::string_view arn)>& read) {
  // The revision is taken before the read: a commit landing during the read leaves the entry
  // older than the store, so the next request reads again.
  auto revision = store_.CurrentRevision();
  if (!revision.ok()) return std::make_shared<const Tags>(read(arn));  // uncached, never stale
  std::string key;
  key.reserve(region.size() + 1 + arn.size());
  key.append(region).push_back('\x1f');
  key.append(arn);
  {
    MutexLock lock(tags_mu_);
    auto it = tags_.find(key);
    if (it != tags_.end() && it->second.revision == *revision) return it->second.tags;
  }
  auto tags = std::make_shared<const Tags>(read(arn));
  MutexLock lock(tags_mu_);
  if (tags_.size() >= 4096) tags_.clear();  // a caller touching many resources
  tags_[std::move(key)] = TagsEntry{*revision, tags};
  return tags;
}

Result<std::shared_ptr<CallerPolicies>> Authorizer::Load(const Caller& caller) {
  ASSIGN_OR_RETURN(std::shared_ptr<CallerPolicies> out, LoadPolicies(caller));
  for (const auto& p : out->identity) NoteKeys(p, *out);
  for (const auto& p : out->session) NoteKeys(p, *out);
  if (out->permissions_boundary) NoteKeys(*out->permissions_boundary, *out);
  // The keys that differ between two requests of one caller with the same action, resource,
  // region and service keys (those are the decision's cache key).
  out->decisions_cacheable =
      !out->uses_every_key && std::none_of(out->keys_used.begin(), out->keys_used.end(), [](const std::string& k) {
        return k == "aws:currenttime" || k == "aws:epochtime" || k == "aws:sourceip";
      });
  return out;
}

Result<std::shared_ptr<CallerPolicies>> Authorizer::LoadPolicies(const Caller& caller) {
  auto out = std::make_shared<CallerPolicies>();
  if (caller.kind == iam::PrincipalKind::kUser) {
    ASSIGN_OR_RETURN(json::object user, ReadRecord(store_, model::keys::IamUserKey(caller.user_name)));
    RETURN_IF_ERROR(AddEntity(user, "User", *out, true));
    AddTags(wharf::GetObject(user, "User"), out->principal_tags);
    for (const auto& group : wharf::GetArray(user, fields::kGroups)) {
      if (!group.is_string()) continue;
      auto record = ReadRecord(store_, model::keys::IamGroupKey(group.get_string()));
      if (!record.ok()) continue;  // removed from the group since: its policies no longer apply
      RETURN_IF_ERROR(AddEntity(*record, "Group", *out, false));
    }
    return out;
  }
  if (caller.kind == iam::PrincipalKind::kRoleSession) {
    ASSIGN_OR_RETURN(json::object role, ReadRecord(store_, model::keys::IamRoleKey(caller.role_name)));
    RETURN_IF_ERROR(AddEntity(role, "Role", *out, true));
    AddTags(wharf::GetObject(role, "Role"), out->principal_tags);
    // Session tags replace the role's tags of the same key.
    for (const auto& tag : caller.session_tags) {
      std::erase_if(out->principal_tags, [&](const auto& t) { return t.first == tag.first; });
      out->principal_tags.push_back(tag);
    }
    if (!caller.session_policy.empty()) {
      ASSIGN_OR_RETURN(iam::Policy policy, Parse(caller.session_policy, "session policy"));
      out->session.push_back(std::move(policy));
    }
    for (const auto& arn : caller.session_policy_arns) {
      ASSIGN_OR_RETURN(iam::Policy policy, ManagedPolicy(arn));
      out->session.push_back(std::move(policy));
    }
    out->has_session_policies = !out->session.empty();
    return out;
  }
  return out;  // the root: no policies are read
}

Status Authorizer::AddEntity(const json::object& record, std::string_view shape, CallerPolicies& out,
                             bool with_boundary) {
  for (const auto& [name, document] : wharf::GetObject(record, fields::kInlinePolicies)) {
    if (!document.is_string()) continue;
    ASSIGN_OR_RETURN(iam::Policy policy, Parse(document.get_string(), name));
    out.identity.push_back(std::move(policy));
  }
  for (const auto& arn : wharf::GetArray(record, fields::kAttachedPolicies)) {
    if (!arn.is_string()) continue;
    auto policy = ManagedPolicy(arn.get_string());
    if (policy.status().IsNotFound()) continue;  // deleted meanwhile
    if (!policy.ok()) return policy.status();
    out.identity.push_back(std::move(policy).value());
  }
  if (with_boundary) {
    const json::object& boundary = wharf::GetObject(wharf::GetObject(record, shape), "PermissionsBoundary");
    std::string arn = wharf::GetString(boundary, "PermissionsBoundaryArn");
    if (!arn.empty()) {
      ASSIGN_OR_RETURN(out.permissions_boundary, ManagedPolicy(arn));
    }
  }
  return Status::OK();
}

Result<iam::Policy> Authorizer::ManagedPolicy(std::string_view arn) {
  if (fields::IsAwsManagedPolicyArn(arn)) {
    const std::string* document = aws_managed_ ? aws_managed_(arn) : nullptr;
    if (!document) return Status::NotFound(std::string(arn));
    return Parse(*document, arn);
  }
  std::string_view name = arn.substr(arn.rfind('/') + 1);
  ASSIGN_OR_RETURN(json::object record, ReadRecord(store_, model::keys::IamPolicyKey(name)));
  for (const auto& version : wharf::GetArray(record, fields::kVersions)) {
    if (!version.is_object()) continue;
    if (wharf::GetBool(version.get_object(), "IsDefaultVersion").value_or(false)) {
      return Parse(wharf::GetString(version.get_object(), "Document"), arn);
    }
  }
  return Status::NotFound(std::string(arn));
}

}  // namespace wharf::controlplane
