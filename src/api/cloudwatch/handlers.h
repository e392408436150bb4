// The CloudWatch operations, one function each.
#pragma once

#include "api/cloudwatch/common.h"

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
// dashboards.cc
WHARF_CW_OP(PutDashboard);
WHARF_CW_OP(GetDashboard);
WHARF_CW_OP(ListDashboards);
WHARF_CW_OP(DeleteDashboards);
#undef WHARF_CW_OP

}  // namespace wharf::api::cloudwatch
