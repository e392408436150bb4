// PutCompositeAlarm: an alarm whose state is a rule over other alarms' states
// (metrics/composite_rule.h), decided by controlplane/alarm_evaluator.h after each round of
// metric alarms. Stored beside the metric alarms: alarm names are one name space.
//
// Actions: a composite alarm's actions on AWS are SNS topics, Systems Manager items and Lambda
// functions, none of which wharf has, so every action is refused. ActionsSuppressor and its
// periods are kept and shown (they would only matter with actions).
#include <map>
#include <set>

#include "api/cloudwatch/handlers.h"
#include "controlplane/alarm_evaluator.h"
#include "controlplane/records.h"
#include "metrics/composite_rule.h"
#include "model/keys.h"
#include "store/update.h"

namespace wharf::api::cloudwatch {

namespace {

namespace keys = model::keys;

// Whether `start`'s rule reaches `target` through composite alarms' children.
bool Reaches(const std::map<std::string, std::set<std::string>>& children, const std::string& start,
             const std::string& target, std::set<std::string>& seen) {
  if (start == target) return true;
  if (!seen.insert(start).second) return false;
  auto it = children.find(start);
  if (it == children.end()) return false;
  for (const auto& c : it->second) {
    if (Reaches(children, c, target, seen)) return true;
  }
  return false;
}

std::optional<AwsError> CheckCompositeInput(const object& in) {
  for (std::string_view list : {"AlarmActions", "OKActions", "InsufficientDataActions"}) {
    if (!GetArray(in, list).empty()) {
      return InvalidValue("wharf runs no actions of composite alarms (they notify SNS topics, Systems Manager "
                          "or Lambda, which wharf does not have): " + std::string(list) + " must be empty.");
    }
  }
  if (!GetArray(in, "Tags").empty()) return InvalidValue("Tags on alarms are not supported by wharf.");
  if (!Has(in, "ActionsSuppressor") && (Has(in, "ActionsSuppressorWaitPeriod") || Has(in, "ActionsSuppressorExtensionPeriod"))) {
    return Combination("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod need ActionsSuppressor.");
  }
  if (Has(in, "ActionsSuppressor") && (!Has(in, "ActionsSuppressorWaitPeriod") || !Has(in, "ActionsSuppressorExtensionPeriod"))) {
    return Combination("ActionsSuppressor needs ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod.");
  }
  return std::nullopt;
}

}  // namespace

Outcome PutCompositeAlarm(const CloudWatchDeps& deps, const RequestContext&, object& in) {
  if (auto e = CheckCompositeInput(in)) return *e;
  const std::string name = GetString(in, "AlarmName");
  auto rule = metrics::CompositeRule::Parse(GetString(in, "AlarmRule"));
  if (!rule.ok()) return InvalidValue(rule.status().message());
  std::string suppressor = GetString(in, "ActionsSuppressor");
  if (auto at = suppressor.find(":alarm:"); suppressor.starts_with("arn:") && at != std::string::npos) {
    suppressor = suppressor.substr(at + 7);
  }
  // The other alarms as they are now: a cycle or a missing child made meanwhile is not seen
  // (the evaluator copes with both: a missing child's states are FALSE, passes are bounded).
  auto alarms = controlplane::LoadRecords(deps.store, keys::kCloudWatchAlarms);
  if (!alarms.ok()) return CloudWatchError(alarms.status());
  std::map<std::string, std::set<std::string>> children;
  for (const auto& a : *alarms) {
    const std::string n = GetString(a, "AlarmName");
    children[n];
    if (n == name && !controlplane::IsComposite(a)) {
      return InvalidValue("The alarm " + name + " is a metric alarm; a composite alarm cannot replace it.");
    }
    if (!controlplane::IsComposite(a)) continue;
    if (auto r = metrics::CompositeRule::Parse(GetString(a, "AlarmRule")); r.ok()) children[n] = r->alarms();
  }
  std::string missing;
  for (const auto& c : rule->alarms()) {
    if (!children.count(c)) missing += (missing.empty() ? "" : ", ") + c;
  }
  if (!missing.empty()) return InvalidValue("AlarmRule names alarms that do not exist: " + missing);
  if (!suppressor.empty() && !children.count(suppressor)) {
    return InvalidValue("ActionsSuppressor " + suppressor + " does not exist.");
  }
  children[name] = rule->alarms();
  for (const auto& c : rule->alarms()) {
    std::set<std::string> seen;
    if (Reaches(children, c, name, seen)) return InvalidValue("AlarmRule makes a cycle: " + c + " depends on " + name + ".");
  }
  const auto now = deps.clock.Now();
  auto done = store::Update(deps.store, [&](store::Draft& draft) -> Result<store::Decision<std::string>> {
    ASSIGN_OR_RETURN(auto existing, controlplane::GetRecord(draft, keys::CloudWatchAlarmKey(name)));
    if (existing && !controlplane::IsComposite(*existing)) {
      return store::Decision<std::string>("The alarm " + name + " is a metric alarm; a composite alarm cannot replace it.");
    }
    object alarm{{"AlarmName", name},
                 {"AlarmArn", AlarmArn(deps, name)},
                 {"AlarmRule", GetString(in, "AlarmRule")},
                 {"ActionsEnabled", GetBool(in, "ActionsEnabled").value_or(true)},
                 {"OKActions", array{}},
                 {"AlarmActions", array{}},
                 {"InsufficientDataActions", array{}},
                 {"AlarmConfigurationUpdatedTimestamp", EpochSeconds(now)}};
    if (Has(in, "AlarmDescription")) alarm["AlarmDescription"] = GetString(in, "AlarmDescription");
    if (!suppressor.empty()) {
      alarm["ActionsSuppressor"] = GetString(in, "ActionsSuppressor");
      alarm["ActionsSuppressorWaitPeriod"] = GetInt(in, "ActionsSuppressorWaitPeriod").value_or(0);
      alarm["ActionsSuppressorExtensionPeriod"] = GetInt(in, "ActionsSuppressorExtensionPeriod").value_or(0);
    }
    WriteAlarmConfiguration(draft, alarm, existing, now);
    return store::Decision<std::string>(store::Commit(std::string()));
  });
  if (!done.ok()) return CloudWatchError(done.status());
  if (!*done) return AwsError::Server("InternalServiceError", "Too many concurrent updates of the alarm; retry.");
  if (!(*done)->empty()) return InvalidValue(**done);
  return object{};
}

}  // namespace wharf::api::cloudwatch
