// Account settings: ListAccountSettings, PutAccountSetting, PutAccountSettingDefault,
// DeleteAccountSetting. A setting is stored per principal; the account default is the
// root principal's. Resolution: the principal's own, else the root's, else AWS's default.
#include <boost/json/array.hpp>
#include <map>

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"

namespace wharf::api::ecs {
namespace json = boost::json;

namespace {

struct SettingRule {
  std::string aws_default;
  std::vector<std::string> values;
  bool aws_managed = false;  // read-only
};

const std::map<std::string, SettingRule>& Rules() {
  static const auto* rules = new std::map<std::string, SettingRule>{
      {"serviceLongArnFormat", {"enabled", {"enabled", "disabled"}}},
      {"taskLongArnFormat", {"enabled", {"enabled", "disabled"}}},
      {"containerInstanceLongArnFormat", {"enabled", {"enabled", "disabled"}}},
      {"awsvpcTrunking", {"disabled", {"enabled", "disabled"}}},
      {"containerInsights", {"disabled", {"enabled", "disabled", "enhanced"}}},
      {"fargateFIPSMode", {"disabled", {"enabled", "disabled"}}},
      {"tagResourceAuthorization", {"on", {"on", "off"}}},
      {"fargateTaskRetirementWaitPeriod", {"7", {"0", "7", "14"}}},
      {"guardDutyActivate", {"off", {"on", "off"}, true}},
      {"defaultLogDriverMode", {"non-blocking", {"blocking", "non-blocking"}}},
      {"fargateEventWindows", {"disabled", {"enabled", "disabled"}}},
  };
  return *rules;
}

std::string RootArn(const EcsDeps& deps) { return "arn:aws:iam::" + deps.account_id + ":root"; }

json::object Setting(const std::string& name, const std::string& value, const std::string& principal,
                     bool aws_managed) {
  return json::object{{"name", name}, {"value", value}, {"principalArn", principal},
                      {"type", aws_managed ? "aws_managed" : "user"}};
}

std::optional<std::string> Stored(const EcsDeps& deps, std::string_view principal, std::string_view name) {
  auto found = ReadRecord(deps.store, AccountSettingKey(principal, name));
  if (!found.ok() || !*found) return std::nullopt;
  return GetString((*found)->value, "value");
}

std::optional<AwsError> CheckValue(const std::string& name, const std::string& value) {
  auto rule = Rules().find(name);
  if (rule == Rules().end()) return InvalidParameter("Invalid setting name '" + name + "'.");
  if (rule->second.aws_managed) {
    return InvalidParameter("The " + name + " setting is managed by AWS and cannot be changed.");
  }
  for (const auto& v : rule->second.values) {
    if (v == value) return std::nullopt;
  }
  std::string allowed;
  for (const auto& v : rule->second.values) allowed += (allowed.empty() ? "" : ", ") + v;
  return InvalidParameter("Invalid value '" + value + "' for " + name + ". Valid values: " + allowed + ".");
}

Outcome Put(const EcsDeps& deps, const std::string& principal, object& in) {
  std::string name = GetString(in, "name"), value = GetString(in, "value");
  if (auto err = CheckValue(name, value)) return *err;
  json::object setting = Setting(name, value, principal, false);
  ASSIGN_OR_FAIL(auto r,
                 deps.store.Commit(store::Txn{{}, {store::Op::Put(AccountSettingKey(principal, name),
                                                                  Serialize(setting))}}),
                 EcsError);
  (void)r;
  return json::object{{"setting", std::move(setting)}};
}

}  // namespace

std::string EffectiveSetting(const EcsDeps& deps, std::string_view principal, std::string_view name) {
  if (auto own = Stored(deps, principal, name)) return *own;
  if (auto root = Stored(deps, RootArn(deps), name)) return *root;
  auto rule = Rules().find(std::string(name));
  return rule == Rules().end() ? "" : rule->second.aws_default;
}

Outcome PutAccountSetting(const EcsDeps& deps, const RequestContext& ctx, object& in) {
  std::string principal = GetString(in, "principalArn", ctx.principal_arn);
  if (GetString(in, "name") == "fargateTaskRetirementWaitPeriod" && principal != RootArn(deps)) {
    return InvalidParameter("The fargateTaskRetirementWaitPeriod setting can only be set by the root user.");
  }
  return Put(deps, principal, in);
}

Outcome PutAccountSettingDefault(const EcsDeps& deps, const RequestContext&, object& in) {
  return Put(deps, RootArn(deps), in);
}

Outcome DeleteAccountSetting(const EcsDeps& deps, const RequestContext& ctx, object& in) {
  std::string name = GetString(in, "name");
  std::string principal = GetString(in, "principalArn", ctx.principal_arn);
  if (!Rules().count(name)) return InvalidParameter("Invalid setting name '" + name + "'.");
  std::string key = AccountSettingKey(principal, name);
  ASSIGN_OR_FAIL(auto found, ReadRecord(deps.store, key), EcsError);
  if (!found) return InvalidParameter("The specified setting does not exist for the principal.");
  ASSIGN_OR_FAIL(auto r, deps.store.Commit(store::Txn{{}, {store::Op::Delete(key)}}), EcsError);
  (void)r;
  return json::object{{"setting", found->value}};
}

Outcome ListAccountSettings(const EcsDeps& deps, const RequestContext& ctx, object& in) {
  size_t page_size = 0;
  if (auto err = PageSize(in, 10, page_size)) return *err;
  std::string principal = GetString(in, "principalArn", ctx.principal_arn);
  std::string only_name = GetString(in, "name"), only_value = GetString(in, "value");
  if (!only_value.empty() && only_name.empty()) {
    return InvalidParameter("The value parameter can only be used together with the name parameter.");
  }
  bool effective = GetBool(in, "effectiveSettings").value_or(false);
  json::array all;
  for (const auto& [name, rule] : Rules()) {
    if (!only_name.empty() && name != only_name) continue;
    std::optional<std::string> value = Stored(deps, principal, name);
    std::string owner = principal;
    if (!value && effective) {
      value = Stored(deps, RootArn(deps), name);
      if (!value) value = rule.aws_default;
      owner = RootArn(deps);
    }
    if (!value || (!only_value.empty() && *value != only_value)) continue;
    all.push_back(Setting(name, *value, owner, rule.aws_managed));
  }
  size_t start = 0;
  if (Has(in, "nextToken")) {
    auto token = ReadNextToken(GetString(in, "nextToken"));
    if (!token) return InvalidParameter("Invalid nextToken.");
    while (start < all.size() && GetString(all[start].as_object(), "name") <= *token) ++start;
  }
  json::array page;
  size_t i = start;
  for (; i < all.size() && page.size() < page_size; ++i) page.push_back(all[i]);
  json::object out{{"settings", std::move(page)}};
  if (i < all.size()) out["nextToken"] = MakeNextToken(GetString(all[i - 1].as_object(), "name"));
  return out;
}

}  // namespace wharf::api::ecs
