// The CloudWatch operations, one function each.
#pragma once

#include <chrono>
#include <optional>

#include "api/cloudwatch/common.h"
#include "store/update.h"

namespace wharf::api::cloudwatch {

#define WHARF_CW_OP(name) Outcome name(const CloudWatchDeps& deps, const RequestContext& ctx, object& in)
// metric_data.cc
WHARF_CW_OP(PutMetricData);
WHARF_CW_OP(ListMetrics);
WHARF_CW_OP(GetMetricStatistics);
WHARF_CW_OP(GetMetricData);
// alarms.cc
WHARF_CW_OP(PutMetricAlarm);
WHARF_CW_OP(DescribeAlarms);
WHARF_CW_OP(DescribeAlarmsForMetric);
WHARF_CW_OP(DeleteAlarms);
WHARF_CW_OP(SetAlarmState);
WHARF_CW_OP(DescribeAlarmHistory);
WHARF_CW_OP(EnableAlarmActions);
WHARF_CW_OP(DisableAlarmActions);
// composite_alarms.cc
WHARF_CW_OP(PutCompositeAlarm);
// alarms.cc: a metric or composite alarm written with its ConfigurationUpdate history item; an
// update keeps the state the alarm had, a new alarm starts INSUFFICIENT_DATA.
void WriteAlarmConfiguration(store::Draft& draft, object& alarm, const std::optional<object>& existing,
                             std::chrono::system_clock::time_point now);
// dashboards.cc
WHARF_CW_OP(PutDashboard);
WHARF_CW_OP(GetDashboard);
WHARF_CW_OP(ListDashboards);
WHARF_CW_OP(DeleteDashboards);
#undef WHARF_CW_OP

}  // namespace wharf::api::cloudwatch
