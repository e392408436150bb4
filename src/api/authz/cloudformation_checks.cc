// AWS CloudFormation (prefix cloudformation). The resource type is the stack:
//   arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>
// A request naming a stack by its name is checked as stack/<name>/*: the id is the stored
// stack's, which this table cannot read (an approximation: a policy naming the full ARN does
// not match it; one on stack/<name>/* does; docs/IAM_POLICY.md). cloudformation:ChangeSetName
// is given where the request names a change set; aws:RequestTag and aws:TagKeys where it
// tags the stack. Listing operations (ListStacks, ListExports, ListImports, ValidateTemplate,
// DescribeStacks without a stack) are on "*". What a stack makes is authorized call by call,
// as the caller (api/cloudformation/provisioner.h).
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

std::string StackArn(const Request& r, std::string_view name_or_id) {
  if (name_or_id.starts_with("arn:")) return std::string(name_or_id);
  return r.Arn("cloudformation", "stack/" + std::string(name_or_id) + "/*");
}

// The check on the stack the request names; on "*" when it names none.
Check& OnStack(Request& r, std::string_view action) {
  std::string_view name = r.Str("StackName");
  Check& c = r.Need(action, name.empty() ? "*" : StackArn(r, name));
  std::string_view change_set = r.Str("ChangeSetName");
  if (!change_set.empty()) AddKey(c, "cloudformation:ChangeSetName", std::string(change_set));
  return c;
}

void Tagging(Request& r, std::string_view action) {
  Check& c = OnStack(r, action);
  if (HasTags(r.Get("Tags"))) AddRequestTags(c, r.Get("Tags"));
  for (std::string_view type : r.Strs("ResourceTypes")) AddKey(c, "cloudformation:ResourceTypes", std::string(type));
}

constexpr Entry kEntries[] = {
    {"CreateStack", [](Request& r) { Tagging(r, "CreateStack"); }},
    {"UpdateStack", [](Request& r) { Tagging(r, "UpdateStack"); }},
    {"DeleteStack", [](Request& r) { OnStack(r, "DeleteStack"); }},
    {"DescribeStacks", [](Request& r) { OnStack(r, "DescribeStacks"); }},
    {"DescribeStackEvents", [](Request& r) { OnStack(r, "DescribeStackEvents"); }},
    {"DescribeStackResource", [](Request& r) { OnStack(r, "DescribeStackResource"); }},
    {"DescribeStackResources", [](Request& r) { OnStack(r, "DescribeStackResources"); }},
    {"ListStackResources", [](Request& r) { OnStack(r, "ListStackResources"); }},
    {"GetTemplate", [](Request& r) { OnStack(r, "GetTemplate"); }},
    {"GetTemplateSummary", [](Request& r) { OnStack(r, "GetTemplateSummary"); }},
    {"CreateChangeSet", [](Request& r) { Tagging(r, "CreateChangeSet"); }},
    {"DescribeChangeSet", [](Request& r) { OnStack(r, "DescribeChangeSet"); }},
    {"ExecuteChangeSet", [](Request& r) { OnStack(r, "ExecuteChangeSet"); }},
    {"DeleteChangeSet", [](Request& r) { OnStack(r, "DeleteChangeSet"); }},
    {"ListChangeSets", [](Request& r) { OnStack(r, "ListChangeSets"); }},
    {"UpdateTerminationProtection", [](Request& r) { OnStack(r, "UpdateTerminationProtection"); }},
    {"SetStackPolicy", [](Request& r) { OnStack(r, "SetStackPolicy"); }},
    {"GetStackPolicy", [](Request& r) { OnStack(r, "GetStackPolicy"); }},
    {"ListStacks", [](Request& r) { r.Need("ListStacks"); }},
    {"ValidateTemplate", [](Request& r) { r.Need("ValidateTemplate"); }},
    {"ListExports", [](Request& r) { r.Need("ListExports"); }},
    {"ListImports", [](Request& r) { r.Need("ListImports"); }},
};

}  // namespace

const ServiceTable kCloudFormationTable = {
    "cloudformation", "cloudformation", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
