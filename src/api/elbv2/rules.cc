// Listener rules: CreateRule, DescribeRules, ModifyRule, DeleteRule, SetRulePriorities.
//
// Every change to a listener's rules also rewrites the listener's record and compares it, so
// rule changes on one listener are serialised (priorities stay unique) and a listener deleted
// meanwhile makes the change retry and fail with ListenerNotFound.
#include <algorithm>

#include "api/elbv2/handlers.h"

namespace wharf::api::elbv2 {

namespace {

constexpr size_t kMaxRulesPerListener = 100;

json::object DefaultRule(const json::object& listener_record) {
  return json::object{
      {"RuleArn", GetString(listener_record, "defaultRuleArn")},
      {"Priority", "default"},
      {"Conditions", json::array()},
      {"Actions", GetArray(GetObject(listener_record, "listener"), "DefaultActions")},
      {"IsDefault", true}};
}

int64_t PriorityOf(const json::object& rule) {
  return std::strtoll(GetString(rule, "Priority").c_str(), nullptr, 10);
}

AwsError PriorityInUse(int64_t priority) {
  return AwsError::Client("PriorityInUse",
                          "Priority '" + std::to_string(priority) + "' is currently in use");
}

AwsError DefaultRuleFixed(std::string_view what) {
  return AwsError::Client("OperationNotPermitted",
                          "The default rule cannot be " + std::string(what) +
                              "; change the listener's default actions with ModifyListener");
}

Result<std::vector<Record>> ListenerRules(Context& c, const std::string& listener_arn) {
  ListenerId id = ParseListenerArn(c.deps, listener_arn);
  return ReadAll(c.deps.store, RulesPrefix(id.lb_name, id.listener_id));
}

}  // namespace

Outcome CreateRule(Context& c, const RequestContext&, object& in) {
  std::string listener_arn = GetString(in, "ListenerArn");
  int64_t priority = GetInt(in, "Priority").value_or(0);
  auto conditions = CheckConditions(GetArray(in, "Conditions"));
  if (auto* err = std::get_if<AwsError>(&conditions)) return *err;
  if (std::get<json::array>(conditions).empty())
    return ValidationError("A rule must have at least one condition");
  if (auto err = CheckNewTags(GetArray(in, "Tags"))) return *err;
  if (Has(in, "Transforms")) return ValidationError("wharf does not support rule transforms");
  std::string rule_id = c.NewHex(16);
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup found = GetListener(c, listener_arn);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& listener = std::get<Record>(found);
    std::string lb_arn = GetString(GetObject(listener.value, "listener"), "LoadBalancerArn");
    auto checked = CheckActions(c, GetArray(in, "Actions"), lb_arn);
    if (auto* err = std::get_if<AwsError>(&checked)) return *err;
    ASSIGN_OR_FAIL(auto rules, ListenerRules(c, listener_arn), Elbv2Error);
    for (const auto& r : rules) {
      if (PriorityOf(GetObject(r.value, "rule")) == priority) return PriorityInUse(priority);
    }
    if (rules.size() >= kMaxRulesPerListener) {
      return AwsError::Client("TooManyRules",
                              "You've reached the limit on the number of rules per listener");
    }
    ListenerId id = ParseListenerArn(c.deps, listener_arn);
    std::string rule_arn = listener_arn;
    rule_arn.replace(rule_arn.find(":listener/"), 10, ":listener-rule/");
    rule_arn += "/" + rule_id;
    json::object rule{{"RuleArn", rule_arn},
                      {"Priority", std::to_string(priority)},
                      {"Conditions", std::get<json::array>(conditions)},
                      {"Actions", std::get<CheckedActions>(checked).actions},
                      {"IsDefault", false}};
    json::object record{{"rule", rule},
                        {"tags", GetArray(in, "Tags")},
                        {"listenerArn", listener_arn},
                        {"loadBalancerArn", lb_arn}};
    std::string key = RuleKey(id.lb_name, id.listener_id, rule_id);
    store::Txn txn{{{key, 0}}, {store::Op::Put(key, Serialize(record))}};
    TouchRecords({listener}, txn);
    TouchRecords(std::get<CheckedActions>(checked).target_groups, txn);
    ASSIGN_OR_FAIL(bool saved, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"Rules", json::array{std::move(rule)}}};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DescribeRules(Context& c, const RequestContext&, object& in) {
  const json::array& arns = GetArray(in, "RuleArns");
  std::string listener_arn = GetString(in, "ListenerArn");
  if (arns.empty() == listener_arn.empty()) {
    return ValidationError("You must specify either rule ARNs or a listener ARN");
  }
  json::array out;
  if (!arns.empty()) {
    for (const auto& arn : arns) {
      Lookup r = GetRule(c, arn.get_string());
      if (auto* err = std::get_if<AwsError>(&r)) return *err;
      Record& record = std::get<Record>(r);
      out.push_back(record.is_default_rule ? DefaultRule(record.value)
                                           : GetObject(record.value, "rule"));
    }
    return json::object{{"Rules", std::move(out)}};
  }
  Lookup listener = GetListener(c, listener_arn);
  if (auto* err = std::get_if<AwsError>(&listener)) return *err;
  ASSIGN_OR_FAIL(auto rules, ListenerRules(c, listener_arn), Elbv2Error);
  std::vector<json::object> sorted;
  for (const auto& r : rules) sorted.push_back(GetObject(r.value, "rule"));
  std::sort(sorted.begin(), sorted.end(), [](const json::object& a, const json::object& b) {
    return PriorityOf(a) < PriorityOf(b);
  });
  sorted.push_back(DefaultRule(std::get<Record>(listener).value));
  // The marker is the position of the next rule.
  size_t start = 0;
  if (Has(in, "Marker")) {
    auto marker = ReadMarker(GetString(in, "Marker"));
    char* end = nullptr;
    if (!marker || marker->empty()) return ValidationError("Invalid marker");
    start = std::strtoull(marker->c_str(), &end, 10);
    if (*end) return ValidationError("Invalid marker");
  }
  size_t page_size = static_cast<size_t>(GetInt(in, "PageSize").value_or(400));
  for (size_t i = start; i < sorted.size() && out.size() < page_size; ++i) out.push_back(sorted[i]);
  json::object result{{"Rules", std::move(out)}};
  if (start + page_size < sorted.size())
    result["NextMarker"] = MakeMarker(std::to_string(start + page_size));
  return result;
}

Outcome ModifyRule(Context& c, const RequestContext&, object& in) {
  std::string arn = GetString(in, "RuleArn");
  std::optional<json::array> conditions;
  if (Has(in, "Conditions")) {
    auto checked = CheckConditions(GetArray(in, "Conditions"));
    if (auto* err = std::get_if<AwsError>(&checked)) return *err;
    conditions = std::move(std::get<json::array>(checked));
    if (conditions->empty()) return ValidationError("A rule must have at least one condition");
  }
  if (Has(in, "Transforms")) return ValidationError("wharf does not support rule transforms");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup found = GetRule(c, arn);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    if (record.is_default_rule) return DefaultRuleFixed("modified");
    Lookup listener = GetListener(c, GetString(record.value, "listenerArn"));
    if (std::holds_alternative<AwsError>(listener)) return RuleNotFound();
    json::object rule = GetObject(record.value, "rule");
    store::Txn txn{{{record.key, record.mod_revision}}, {}};
    if (Has(in, "Actions")) {
      auto checked =
          CheckActions(c, GetArray(in, "Actions"), GetString(record.value, "loadBalancerArn"));
      if (auto* err = std::get_if<AwsError>(&checked)) return *err;
      rule["Actions"] = std::get<CheckedActions>(checked).actions;
      TouchRecords(std::get<CheckedActions>(checked).target_groups, txn);
    }
    if (conditions) rule["Conditions"] = *conditions;
    record.value["rule"] = rule;
    txn.ops.push_back(store::Op::Put(record.key, Serialize(record.value)));
    TouchRecords({std::get<Record>(listener)}, txn);
    ASSIGN_OR_FAIL(bool saved, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"Rules", json::array{std::move(rule)}}};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome DeleteRule(Context& c, const RequestContext&, object& in) {
  std::string arn = GetString(in, "RuleArn");
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    Lookup found = GetRule(c, arn);
    if (auto* err = std::get_if<AwsError>(&found)) return *err;
    Record& record = std::get<Record>(found);
    if (record.is_default_rule) return DefaultRuleFixed("deleted");
    store::Txn txn{{{record.key, record.mod_revision}}, {store::Op::Delete(record.key)}};
    Lookup listener = GetListener(c, GetString(record.value, "listenerArn"));
    if (auto* l = std::get_if<Record>(&listener)) TouchRecords({*l}, txn);
    ASSIGN_OR_FAIL(bool deleted, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!deleted) return store::kConflict;
    c.Publish();
    return json::object{};
  }).value_or(TooManyConcurrentUpdates());
}

Outcome SetRulePriorities(Context& c, const RequestContext&, object& in) {
  return store::RetryOnConflict([&]() -> store::Attempt<Outcome> {
    std::map<std::string, int64_t> wanted;    // rule arn -> new priority
    std::map<std::string, Record> listeners;  // by listener arn
    for (const auto& p : GetArray(in, "RulePriorities")) {
      const json::object& pair = p.get_object();
      std::string arn = GetString(pair, "RuleArn");
      Lookup found = GetRule(c, arn);
      if (auto* err = std::get_if<AwsError>(&found)) return *err;
      if (std::get<Record>(found).is_default_rule) {
        return AwsError::Client("OperationNotPermitted",
                                "The default rule's priority cannot be changed");
      }
      if (!wanted.emplace(arn, GetInt(pair, "Priority").value_or(0)).second) {
        return ValidationError("Rule '" + arn + "' is specified more than once");
      }
      std::string listener_arn = GetString(std::get<Record>(found).value, "listenerArn");
      if (!listeners.contains(listener_arn)) {
        Lookup l = GetListener(c, listener_arn);
        if (std::holds_alternative<AwsError>(l)) return RuleNotFound();
        listeners.emplace(listener_arn, std::move(std::get<Record>(l)));
      }
    }
    store::Txn txn;
    json::array changed;
    for (const auto& [listener_arn, listener] : listeners) {
      ASSIGN_OR_FAIL(auto rules, ListenerRules(c, listener_arn), Elbv2Error);
      std::map<int64_t, std::string> taken;  // priority -> rule arn, after the change
      for (auto& r : rules) {
        json::object& rule = r.value["rule"].as_object();
        std::string arn = GetString(rule, "RuleArn");
        auto it = wanted.find(arn);
        int64_t priority = it == wanted.end() ? PriorityOf(rule) : it->second;
        if (!taken.emplace(priority, arn).second) return PriorityInUse(priority);
        if (it == wanted.end()) continue;
        rule["Priority"] = std::to_string(priority);
        txn.compares.push_back({r.key, r.mod_revision});
        txn.ops.push_back(store::Op::Put(r.key, Serialize(r.value)));
        changed.push_back(rule);
      }
      TouchRecords({listener}, txn);
    }
    ASSIGN_OR_FAIL(bool saved, CommitTxn(c.deps.store, txn), Elbv2Error);
    if (!saved) return store::kConflict;
    c.Publish();
    return json::object{{"Rules", std::move(changed)}};
  }).value_or(TooManyConcurrentUpdates());
}

}  // namespace wharf::api::elbv2
