// CloudWatch (signing name monitoring, prefix cloudwatch). Resource type:
//   alarm   arn:aws:cloudwatch:<region>:<account>:alarm:<name>
//   dashboard  arn:aws:cloudwatch::<account>:dashboard/<name>
// Metric operations name no resource ("*"); PutMetricData carries cloudwatch:namespace.
// DescribeAlarms and DescribeAlarmsForMetric list: "*" (the reference lists no resource
// for the listing form wharf serves).
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

std::string AlarmArn(const Request& r, std::string_view name) { return r.Arn("cloudwatch", "alarm:" + std::string(name)); }

// One check per alarm named in AlarmNames.
void OnAlarms(Request& r, std::string_view action) {
  for (std::string_view name : r.Strs("AlarmNames")) r.Need(action, AlarmArn(r, name));
}

// Dashboards are global: arn:aws:cloudwatch::<account>:dashboard/<name>.
std::string DashboardArn(const Request& r, std::string_view name) {
  return r.GlobalArn("cloudwatch", "dashboard/" + std::string(name));
}

void OnAlarm(Request& r, std::string_view action) { r.Need(action, AlarmArn(r, r.Str("AlarmName"))); }

constexpr Entry kEntries[] = {
    {"PutMetricData",
     [](Request& r) { AddKey(r.Need("PutMetricData"), "cloudwatch:namespace", std::string(r.Str("Namespace"))); }},
    {"ListMetrics", [](Request& r) { r.Need("ListMetrics"); }},
    {"GetMetricStatistics", [](Request& r) { r.Need("GetMetricStatistics"); }},
    {"GetMetricData", [](Request& r) { r.Need("GetMetricData"); }},
    {"PutMetricAlarm", [](Request& r) { OnAlarm(r, "PutMetricAlarm"); }},
    {"PutCompositeAlarm", [](Request& r) { OnAlarm(r, "PutCompositeAlarm"); }},
    {"DescribeAlarms", [](Request& r) { r.Need("DescribeAlarms"); }},
    {"DescribeAlarmsForMetric", [](Request& r) { r.Need("DescribeAlarmsForMetric"); }},
    {"DeleteAlarms", [](Request& r) { OnAlarms(r, "DeleteAlarms"); }},
    {"SetAlarmState", [](Request& r) { OnAlarm(r, "SetAlarmState"); }},
    {"DescribeAlarmHistory",
     [](Request& r) {
       if (r.Str("AlarmName").empty()) {
         r.Need("DescribeAlarmHistory");
       } else {
         OnAlarm(r, "DescribeAlarmHistory");
       }
     }},
    {"EnableAlarmActions", [](Request& r) { OnAlarms(r, "EnableAlarmActions"); }},
    {"DisableAlarmActions", [](Request& r) { OnAlarms(r, "DisableAlarmActions"); }},
    {"PutDashboard", [](Request& r) { r.Need("PutDashboard", DashboardArn(r, r.Str("DashboardName"))); }},
    {"GetDashboard", [](Request& r) { r.Need("GetDashboard", DashboardArn(r, r.Str("DashboardName"))); }},
    {"ListDashboards", [](Request& r) { r.Need("ListDashboards"); }},
    {"DeleteDashboards",
     [](Request& r) {
       for (std::string_view name : r.Strs("DashboardNames")) r.Need("DeleteDashboards", DashboardArn(r, name));
     }},
};

}  // namespace

const ServiceTable kCloudWatchTable = {
    "monitoring", "cloudwatch", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
