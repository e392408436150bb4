// CloudWatch Logs (prefix logs). Resource types:
//   log-group   arn:aws:logs:<region>:<account>:log-group:<name>:*   (group actions)
//   log-stream  arn:aws:logs:<region>:<account>:log-group:<name>:log-stream:<stream>
// A group is named by logGroupName, or by logGroupIdentifier (a name or the group's ARN,
// which has no ":*").
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

std::string_view GroupName(const Request& r) {
  std::string_view g = r.Str("logGroupName");
  if (g.empty()) g = r.Str("logGroupIdentifier");
  if (g.starts_with("arn:")) {
    size_t at = g.find(":log-group:");
    if (at != std::string_view::npos) g = g.substr(at + 11);
    if (g.ends_with(":*")) g.remove_suffix(2);
  }
  return g;
}

std::string GroupArn(const Request& r) { return r.Arn("logs", "log-group:" + std::string(GroupName(r)) + ":*"); }

std::string StreamArn(const Request& r) {
  return r.Arn("logs", "log-group:" + std::string(GroupName(r)) + ":log-stream:" + std::string(r.Str("logStreamName")));
}

void OnGroup(Request& r, std::string_view action) { r.Need(action, GroupArn(r)); }
void OnStream(Request& r, std::string_view action) { r.Need(action, StreamArn(r)); }

void CreateLogGroup(Request& r) {
  std::string arn = GroupArn(r);
  AddRequestTags(r.Need("CreateLogGroup", arn), r.Get("tags"));
  // Tags given at creation are also authorized as logs:TagResource.
  if (HasTags(r.Get("tags"))) AddRequestTags(r.Need("TagResource", arn), r.Get("tags"));
}

constexpr Entry kEntries[] = {
    {"CreateLogGroup", CreateLogGroup},
    {"DeleteLogGroup", [](Request& r) { OnGroup(r, "DeleteLogGroup"); }},
    // Lists every group of the account: no resource type in the reference.
    {"DescribeLogGroups", [](Request& r) { r.Need("DescribeLogGroups"); }},
    {"PutRetentionPolicy", [](Request& r) { OnGroup(r, "PutRetentionPolicy"); }},
    {"DeleteRetentionPolicy", [](Request& r) { OnGroup(r, "DeleteRetentionPolicy"); }},
    // The deprecated group-tagging operations: their own actions, on the group.
    {"TagLogGroup", [](Request& r) { AddRequestTags(r.Need("TagLogGroup", GroupArn(r)), r.Get("tags")); }},
    // UntagLogGroup's "tags" member is the list of keys.
    {"UntagLogGroup", [](Request& r) { AddTagKeys(r.Need("UntagLogGroup", GroupArn(r)), r.Get("tags")); }},
    {"ListTagsLogGroup", [](Request& r) { OnGroup(r, "ListTagsLogGroup"); }},
    {"TagResource",
     [](Request& r) { AddRequestTags(r.Need("TagResource", std::string(r.Str("resourceArn"))), r.Get("tags")); }},
    {"UntagResource",
     [](Request& r) { AddTagKeys(r.Need("UntagResource", std::string(r.Str("resourceArn"))), r.Get("tagKeys")); }},
    {"ListTagsForResource", [](Request& r) { r.Need("ListTagsForResource", std::string(r.Str("resourceArn"))); }},
    // The reference has CreateLogStream on the new stream (older policies name the group's
    // "log-group:NAME:*", which matches it too).
    {"CreateLogStream", [](Request& r) { OnStream(r, "CreateLogStream"); }},
    {"DeleteLogStream", [](Request& r) { OnStream(r, "DeleteLogStream"); }},
    {"DescribeLogStreams", [](Request& r) { OnGroup(r, "DescribeLogStreams"); }},
    {"GetLogEvents", [](Request& r) { OnStream(r, "GetLogEvents"); }},
    {"FilterLogEvents", [](Request& r) { OnGroup(r, "FilterLogEvents"); }},
    {"PutLogEvents", [](Request& r) { OnStream(r, "PutLogEvents"); }},
    {"PutMetricFilter", [](Request& r) { OnGroup(r, "PutMetricFilter"); }},
    {"DeleteMetricFilter", [](Request& r) { OnGroup(r, "DeleteMetricFilter"); }},
    // On the group when one is named; across the account ("*") otherwise.
    {"DescribeMetricFilters",
     [](Request& r) {
       if (GroupName(r).empty()) {
         r.Need("DescribeMetricFilters");
       } else {
         OnGroup(r, "DescribeMetricFilters");
       }
     }},
    {"TestMetricFilter", [](Request& r) { r.Need("TestMetricFilter"); }},
};

}  // namespace

const ServiceTable kLogsTable = {
    "logs", "logs", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
