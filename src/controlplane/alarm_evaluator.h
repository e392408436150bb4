// CloudWatch alarms in the control plane: what a stored alarm evaluates (its rule and its
// metric queries), the one way an alarm's state changes (with its history item), and the
// evaluator that runs every alarm of a region against its metrics.
//
// Records: the MetricAlarm shape at model::keys::CloudWatchAlarmKey(name), history items
// under kCloudWatchAlarmHistory (docs/STATE.md). A state change and its history item are one
// revision-checked transaction, so an alarm changed meanwhile (PutMetricAlarm, SetAlarmState,
// another evaluator) is read and decided again.
//
// Periods: an alarm is evaluated on its complete periods only: the evaluation range is the
// N periods that end at the start of the current one (CloudWatch waits for a period's data
// the same way), so the state follows a datum within one period and one evaluation interval.
//
// Thread-safety: free functions over a Store and a MetricStore, both thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "metrics/alarm_rule.h"
#include "metrics/composite_rule.h"
#include "metrics/metric_query.h"
#include "metrics/metric_store.h"
#include "store/store.h"

namespace wharf::controlplane {

struct AlarmSpec {
  metrics::AlarmRule rule;
  std::vector<metrics::Query> queries;  // the alarm's metric, or its Metrics
  std::string result_id;                // the query whose series is compared
};
// The rule and queries of an alarm in the MetricAlarm shape. InvalidArgument, with
// CloudWatch's message, when the alarm cannot be evaluated (PutMetricAlarm's check).
Result<AlarmSpec> ReadAlarmSpec(const boost::json::object& alarm);

// A composite alarm (PutCompositeAlarm) is a record with an AlarmRule (metrics/composite_rule.h)
// in the CompositeAlarm shape, beside the metric alarms under the same keys (one name space).
bool IsComposite(const boost::json::object& alarm);

// Sets the alarm's StateValue, StateReason and StateReasonData (a JSON text, "" for none)
// and writes a StateUpdate history item, in one transaction. False when the alarm is gone or
// (unless `force`) already in that state; NotFound is not an error here.
Result<bool> ChangeAlarmState(store::Store& store, const std::string& name, std::string_view state,
                              const std::string& reason, const std::string& reason_data,
                              std::chrono::system_clock::time_point now, bool force);

// A ConfigurationUpdate / StateUpdate / Action history item, as the AlarmHistoryItem shape.
std::pair<std::string, boost::json::object> AlarmHistoryItem(const boost::json::object& alarm,
                                                             std::string_view type, std::string summary,
                                                             std::string data,
                                                             std::chrono::system_clock::time_point now);

// One round: every alarm of the store evaluated at the clock's time; a state that changes is
// written with its history. Composite alarms follow, once their children have changed: ALARM
// while the rule is TRUE, else OK, decided again until no composite changes (composites of
// composites). History items older than 14 days are dropped.
Status EvaluateAlarms(store::Store& store, const metrics::MetricStore& metrics, Clock& clock);

}  // namespace wharf::controlplane
