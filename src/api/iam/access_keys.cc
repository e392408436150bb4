// Access keys: records the CredentialStore reads (model/keys.h AccessKeyKey), listed on
// their user's record. Without a UserName a call is about the caller's own keys (the root's,
// for the admin key). Every change tells the CredentialStore to forget the key.
#include "api/iam/handlers.h"
#include "model/iam.h"
#include "model/json.h"
#include "model/keys.h"

namespace wharf::api::iam {
namespace {

namespace fields = model::iam;

AwsError NoSuchKey(std::string_view id) {
  return NoSuchEntity("The Access Key with id " + std::string(id) + " cannot be found.");
}

object Metadata(const object& key) {
  object out{{"AccessKeyId", Str(key, "accessKeyId")},
             {"Status", Str(key, "status", "Active")},
             {"CreateDate", key.contains("createDate") ? key.at("createDate") : json::value(0)}};
  if (!wharf::GetBool(key, "root").value_or(false) && key.contains("status")) out["UserName"] = Str(key, "userName");
  return out;
}

bool IsRootKey(const object& key) {
  return !key.contains("status") || wharf::GetBool(key, "root").value_or(false);
}

// The key named by AccessKeyId, owned by the request's user (or the caller); through the draft.
Result<std::variant<object, AwsError>> ReadOwnedKey(store::Draft& draft, const RequestContext& ctx, const object& in) {
  std::string id = Arg(in, "AccessKeyId");
  std::string user = Arg(in, "UserName");
  if (user.empty()) user = ctx.user_name;
  ASSIGN_OR_RETURN(auto key, Read(draft, model::keys::AccessKeyKey(id)));
  if (!key) return std::variant<object, AwsError>(NoSuchKey(id));
  bool owned = user.empty() ? IsRootKey(*key) : !IsRootKey(*key) && NameEquals(Str(*key, "userName"), user);
  if (!owned) {
    if (!user.empty()) {
      ASSIGN_OR_RETURN(auto u, ReadEntity(draft, kUser, user));
      if (auto* err = std::get_if<AwsError>(&u)) return std::variant<object, AwsError>(*err);
    }
    return std::variant<object, AwsError>(NoSuchKey(id));
  }
  return std::variant<object, AwsError>(std::move(*key));
}

}  // namespace

Outcome CreateAccessKey(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string user = Arg(in, "UserName");
  if (user.empty()) user = ctx.user_name;
  std::string id = model::iam::NewAccessKeyId(deps.random);
  std::string secret = RandomAlnum(deps.random, 40, false);
  double now = Now(deps);
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    object key{{"accessKeyId", id}, {"secretAccessKey", secret}, {"status", "Active"}, {"createDate", now}};
    if (user.empty()) {
      key["userName"] = "admin";
      key["root"] = true;
    } else {
      ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kUser, user));
      if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
      object record = std::get<object>(std::move(found));
      array& keys = ArrayField(record, fields::kAccessKeys);
      if (keys.size() >= 2) return Decision(LimitExceeded("Cannot exceed quota for AccessKeysPerUser: 2"));
      keys.emplace_back(json::string(id));
      key["userName"] = Str(wharf::GetObject(record, "User"), "UserName");
      Write(draft, kUser.key(user), record);
    }
    Write(draft, model::keys::AccessKeyKey(id), key);
    object answer = Metadata(key);
    answer["SecretAccessKey"] = secret;
    if (user.empty()) answer.erase("UserName");
    return Decision(store::Commit(Outcome(object{{"AccessKey", std::move(answer)}})));
  });
}

Outcome ListAccessKeys(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string user = Arg(in, "UserName");
  if (user.empty()) user = ctx.user_name;
  array out;
  if (user.empty()) {
    ASSIGN_OR_FAIL(auto keys, LoadAll(deps, model::keys::kAccessKeys), IamError);
    for (const auto& key : keys) {
      if (IsRootKey(key)) out.push_back(Metadata(key));
    }
    return Paginate(std::move(out), in, "AccessKeyMetadata");
  }
  return Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadEntity(draft, kUser, user));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    for (const auto& id : wharf::GetArray(std::get<object>(found), fields::kAccessKeys)) {
      ASSIGN_OR_RETURN(auto key, Read(draft, model::keys::AccessKeyKey(id.as_string())));
      if (key) out.push_back(Metadata(*key));
    }
    return Decision(Outcome(Paginate(std::move(out), in, "AccessKeyMetadata")));
  });
}

Outcome UpdateAccessKey(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string id = Arg(in, "AccessKeyId");
  std::string status = Arg(in, "Status");
  Outcome outcome = Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadOwnedKey(draft, ctx, in));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    object key = std::get<object>(std::move(found));
    if (!key.contains("status")) key["root"] = true;  // a first-start admin key gets its status now
    key["status"] = status;
    Write(draft, model::keys::AccessKeyKey(id), key);
    return Decision(store::Commit(Outcome(object())));
  });
  if (outcome.ok() && deps.credentials) deps.credentials->Forget(id);
  return outcome;
}

Outcome DeleteAccessKey(const Deps& deps, const RequestContext& ctx, object& in) {
  std::string id = Arg(in, "AccessKeyId");
  Outcome outcome = Apply(deps, [&](store::Draft& draft) -> Result<Decision> {
    ASSIGN_OR_RETURN(auto found, ReadOwnedKey(draft, ctx, in));
    if (auto* err = std::get_if<AwsError>(&found)) return Decision(*err);
    const object& key = std::get<object>(found);
    if (!IsRootKey(key)) {
      std::string user = Str(key, "userName");
      ASSIGN_OR_RETURN(auto record, Read(draft, kUser.key(user)));
      if (record) {
        RemoveValue(ArrayField(*record, fields::kAccessKeys), id);
        Write(draft, kUser.key(user), *record);
      }
    }
    draft.Delete(model::keys::AccessKeyKey(id));
    draft.Delete(model::keys::AccessKeyLastUsedKey(id));
    return Decision(store::Commit(Outcome(object())));
  });
  if (outcome.ok() && deps.credentials) deps.credentials->Forget(id);
  return outcome;
}

Outcome GetAccessKeyLastUsed(const Deps& deps, const RequestContext&, object& in) {
  std::string id = Arg(in, "AccessKeyId");
  auto key = deps.store.Get(model::keys::AccessKeyKey(id));
  if (!key.ok()) return IamError(key.status());
  if (!key->has_value()) return NoSuchKey(id);
  ASSIGN_OR_FAIL(object record, wharf::ParseObject((*key)->value), IamError);
  object used{{"ServiceName", "N/A"}, {"Region", "N/A"}};
  auto last = deps.store.Get(model::keys::AccessKeyLastUsedKey(id));
  if (last.ok() && last->has_value()) {
    auto stored = wharf::ParseObject((*last)->value);
    if (stored.ok()) {
      used = object{{"LastUsedDate", stored->contains("lastUsedDate") ? stored->at("lastUsedDate") : json::value(0)},
                    {"ServiceName", Str(*stored, "serviceName")},
                    {"Region", Str(*stored, "region")}};
    }
  }
  object out{{"AccessKeyLastUsed", std::move(used)}};
  if (!IsRootKey(record)) out["UserName"] = Str(record, "userName");
  return out;
}

}  // namespace wharf::api::iam
