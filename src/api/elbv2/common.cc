#include <algorithm>
#include "api/elbv2/common.h"

#include "api/elbv2/attributes.h"
#include "controlplane/records.h"

#include "base/crypto.h"
#include "base/logging.h"
#include "base/mutex.h"

namespace wharf::api::elbv2 {

Random& Context::random() { return deps.random ? *deps.random : own_random_; }

std::string Context::NewHex(size_t chars) { return RandomHex(random(), chars); }

std::string Context::NewDigits(size_t count) {
  std::string out;
  while (out.size() < count) out += std::to_string(random().Next() % 10);
  if (out[0] == '0') out[0] = '1';
  return out;
}

void Context::Publish() {
  if (deps.publish) deps.publish();
}

std::string ArnPrefix(const Elbv2Deps& deps) {
  return "arn:aws:elasticloadbalancing:" + deps.region + ":" + deps.account_id + ":";
}

std::vector<std::string> ArnParts(const Elbv2Deps& deps, std::string_view arn) {
  std::string prefix = ArnPrefix(deps);
  if (arn.substr(0, prefix.size()) != prefix) return {};
  std::vector<std::string> parts;
  std::string_view rest = arn.substr(prefix.size());
  while (true) {
    size_t slash = rest.find('/');
    parts.emplace_back(rest.substr(0, slash));
    if (parts.back().empty()) return {};
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return parts;
}

AwsError Elbv2Error(const Status& status) {
  if (status.IsUnavailable() || status.IsInternal()) {
    return AwsError::Server("InternalFailure", status.message());
  }
  return ValidationError(status.message());
}

AwsError ValidationError(std::string message) {
  return AwsError::Client("ValidationError", std::move(message));
}
AwsError InvalidConfiguration(std::string message) {
  return AwsError::Client("InvalidConfigurationRequest", std::move(message));
}
AwsError LoadBalancerNotFound(std::string message) {
  return AwsError::Client("LoadBalancerNotFound", std::move(message));
}
AwsError TargetGroupNotFound(std::string message) {
  return AwsError::Client("TargetGroupNotFound", std::move(message));
}
AwsError ListenerNotFound() {
  return AwsError::Client("ListenerNotFound", "One or more listeners not found");
}
AwsError RuleNotFound() { return AwsError::Client("RuleNotFound", "One or more rules not found"); }
AwsError TooManyConcurrentUpdates() {
  return AwsError::Server("InternalFailure", "Too many concurrent updates; retry.");
}

Result<std::optional<Record>> ReadRecord(store::Store& store, const std::string& key) {
  ASSIGN_OR_RETURN(auto found, controlplane::ReadRecord(store, key));
  if (!found) return std::optional<Record>();
  return std::optional<Record>(Record{std::move(found->key), std::move(found->value), found->mod_revision});
}

Result<std::vector<Record>> ReadAll(store::Store& store, std::string_view prefix) {
  ASSIGN_OR_RETURN(auto all, controlplane::ReadRecords(store, prefix));
  std::vector<Record> out;
  out.reserve(all.size());
  for (auto& r : all) out.push_back(Record{std::move(r.key), std::move(r.value), r.mod_revision});
  return out;
}

namespace {

// The record if it is the resource named by `arn` (a name reused after a delete has a new id).
Lookup Found(Result<std::optional<Record>> found, std::string_view arn, std::string_view member,
             std::string_view arn_field, const AwsError& missing) {
  if (!found.ok()) return Elbv2Error(found.status());
  if (!*found || GetString(GetObject((*found)->value, member), arn_field) != arn) return missing;
  return std::move(**found);
}

}  // namespace

Lookup GetLoadBalancer(Context& c, std::string_view arn) {
  auto p = ArnParts(c.deps, arn);
  if (p.size() != 4 || p[0] != "loadbalancer" ||
      (p[1] != "app" && p[1] != "net" && p[1] != "gwy")) {
    return ValidationError("'" + std::string(arn) + "' is not a valid load balancer ARN");
  }
  return Found(ReadRecord(c.deps.store, LoadBalancerKey(p[2])), arn, "loadBalancer",
               "LoadBalancerArn", LoadBalancerNotFound());
}

Lookup GetTargetGroup(Context& c, std::string_view arn) {
  auto p = ArnParts(c.deps, arn);
  if (p.size() != 3 || p[0] != "targetgroup") {
    return ValidationError("'" + std::string(arn) + "' is not a valid target group ARN");
  }
  return Found(ReadRecord(c.deps.store, TargetGroupKey(p[1])), arn, "targetGroup", "TargetGroupArn",
               TargetGroupNotFound());
}

ListenerId ParseListenerArn(const Elbv2Deps& deps, std::string_view arn) {
  auto p = ArnParts(deps, arn);
  if (p.size() != 5 || p[0] != "listener" || p[1] != "app") return {};
  return {p[2], p[4]};
}

Lookup GetListener(Context& c, std::string_view arn) {
  ListenerId id = ParseListenerArn(c.deps, arn);
  if (id.lb_name.empty())
    return ValidationError("'" + std::string(arn) + "' is not a valid listener ARN");
  return Found(ReadRecord(c.deps.store, ListenerKey(id.lb_name, id.listener_id)), arn, "listener",
               "ListenerArn", ListenerNotFound());
}

std::string ListenerArnOfRule(std::string_view rule_arn) {
  std::string arn(rule_arn);
  size_t slash = arn.rfind('/');
  if (slash == std::string::npos) return "";
  arn.resize(slash);
  size_t kind = arn.find(":listener-rule/");
  if (kind == std::string::npos) return "";
  return arn.replace(kind, 15, ":listener/");
}

Lookup GetRule(Context& c, std::string_view arn) {
  auto p = ArnParts(c.deps, arn);
  if (p.size() != 6 || p[0] != "listener-rule" || p[1] != "app") {
    return ValidationError("'" + std::string(arn) + "' is not a valid listener rule ARN");
  }
  auto found = ReadRecord(c.deps.store, RuleKey(p[2], p[4], p[5]));
  if (!found.ok()) return Elbv2Error(found.status());
  if (*found) return Found(std::move(found), arn, "rule", "RuleArn", RuleNotFound());
  // Not a stored rule: perhaps its listener's default rule.
  auto listener = ReadRecord(c.deps.store, ListenerKey(p[2], p[4]));
  if (!listener.ok()) return Elbv2Error(listener.status());
  if (!*listener || GetString((*listener)->value, "defaultRuleArn") != arn) return RuleNotFound();
  Record r = std::move(**listener);
  r.is_default_rule = true;
  return r;
}

std::string MakeMarker(std::string_view last_key) { return Base64Encode(last_key); }
std::optional<std::string> ReadMarker(std::string_view marker) { return Base64Decode(marker); }

int64_t NowMs(const Context& c) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             c.deps.clock.Now().time_since_epoch())
      .count();
}
double NowSeconds(const Context& c) { return EpochSeconds(c.deps.clock.Now()); }

json::array AttributeList(const json::object& attributes) {
  json::array out;
  for (const auto& [k, v] : attributes) {
    out.push_back(json::object{{"Key", k}, {"Value", v}});
  }
  return out;
}

std::vector<std::string> ForwardedTargetGroups(const json::array& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) {
    if (!a.is_object()) continue;
    const json::object& action = a.get_object();
    std::string single = GetString(action, "TargetGroupArn");
    if (!single.empty()) out.push_back(single);
    for (const auto& t : GetArray(GetObject(action, "ForwardConfig"), "TargetGroups")) {
      if (t.is_object()) out.push_back(GetString(t.get_object(), "TargetGroupArn"));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<TargetGroupUsage> ReadTargetGroupUsage(store::Store& store) {
  TargetGroupUsage usage;
  ASSIGN_OR_RETURN(auto listeners, ReadAll(store, ListenersPrefix("")));
  for (const auto& l : listeners) {
    const json::object& listener = GetObject(l.value, "listener");
    for (const auto& tg : ForwardedTargetGroups(GetArray(listener, "DefaultActions"))) {
      usage.lbs_by_tg[tg].insert(GetString(listener, "LoadBalancerArn"));
    }
  }
  ASSIGN_OR_RETURN(auto rules, ReadAll(store, RulesPrefix("", "")));
  for (const auto& r : rules) {
    std::string lb_arn = GetString(r.value, "loadBalancerArn");
    for (const auto& tg : ForwardedTargetGroups(GetArray(GetObject(r.value, "rule"), "Actions"))) {
      usage.lbs_by_tg[tg].insert(lb_arn);
    }
  }
  return usage;
}

std::optional<AwsError> CheckNewTags(const json::array& tags) {
  std::set<std::string> seen;
  for (const auto& t : tags) {
    std::string key = GetString(t.as_object(), "Key");
    if (key.empty()) return ValidationError("A tag key must be specified");
    if (key.compare(0, 4, "aws:") == 0) {
      return ValidationError("Tag keys beginning with 'aws:' are reserved for AWS use");
    }
    if (!seen.insert(key).second) {
      return AwsError::Client("DuplicateTagKeys", "Tag key '" + key + "' specified more than once");
    }
  }
  if (tags.size() > kMaxTags) {
    return AwsError::Client("TooManyTags", "A resource can have at most 50 tags");
  }
  return std::nullopt;
}

Result<bool> CommitTxn(store::Store& store, const store::Txn& txn) {
  ASSIGN_OR_RETURN(auto r, store.Commit(txn));
  return r.succeeded;
}

}  // namespace wharf::api::elbv2

namespace wharf::api::elbv2 {

Outcome DescribeAttributesOf(const Lookup& found) {
  if (auto* err = std::get_if<AwsError>(&found)) return *err;
  return json::object{{"Attributes", AttributeList(GetObject(std::get<Record>(found).value, "attributes"))}};
}

Outcome ModifyAttributesOf(Context& c, int owner, const json::array& changes,
                           const std::function<Lookup()>& lookup) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup found = lookup();
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    json::object attributes = GetObject(record.value, "attributes");
    if (auto err = ApplyAttributes(static_cast<AttributeOwner>(owner), changes, attributes)) return *err;
    record.value["attributes"] = attributes;
    ASSIGN_OR_FAIL(bool saved, SaveRecord(c.deps.store, record), Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"Attributes", AttributeList(attributes)}};
  }).value_or(TooManyConcurrentUpdates());
}

Result<bool> SaveRecord(store::Store& store, const Record& record) {
  return CommitTxn(store, store::Txn{{{record.key, record.mod_revision}},
                                     {store::Op::Put(record.key, Serialize(record.value))}});
}

std::optional<AwsError> CheckResourceName(std::string_view kind, const std::string& name) {
  std::string what = std::string(kind) + " name '" + name + "'";
  if (name.empty() || name.size() > 32) return ValidationError(what + " must be between 1 and 32 characters long");
  if (!std::all_of(name.begin(), name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-';
      })) {
    return ValidationError(what + " can contain only alphanumeric characters and hyphens");
  }
  if (name.front() == '-' || name.back() == '-') return ValidationError(what + " cannot begin or end with a hyphen");
  return std::nullopt;
}

}  // namespace wharf::api::elbv2
