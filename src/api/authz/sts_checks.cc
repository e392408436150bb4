// AWS STS (prefix sts). wharf serves GetCallerIdentity; AssumeRole is in the table for the
// front door's role sessions.
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

// The identity-side half of AssumeRole: sts:AssumeRole on the role. AWS also requires the
// role's trust policy to allow the caller; that resource-side half is the role's, evaluated
// by whoever loads the role, not by this table. Session tags need sts:TagSession as well,
// a source identity sts:SetSourceIdentity.
void AssumeRole(Request& r) {
  std::string role(r.Str("RoleArn"));
  Check& c = r.Need("AssumeRole", role);
  if (!r.Str("RoleSessionName").empty()) AddKey(c, "sts:RoleSessionName", std::string(r.Str("RoleSessionName")));
  if (!r.Str("ExternalId").empty()) AddKey(c, "sts:ExternalId", std::string(r.Str("ExternalId")));
  if (!r.Str("SourceIdentity").empty()) AddKey(c, "sts:SourceIdentity", std::string(r.Str("SourceIdentity")));
  // Setting a source identity is its own action, sts:SetSourceIdentity.
  if (!r.Str("SourceIdentity").empty()) {
    AddKey(r.Need("SetSourceIdentity", role), "sts:SourceIdentity", std::string(r.Str("SourceIdentity")));
  }
  if (HasTags(r.Get("Tags"))) {
    Check& t = r.Need("TagSession", role);
    AddRequestTags(t, r.Get("Tags"));
    for (std::string_view k : r.Strs("TransitiveTagKeys")) AddKey(t, "sts:TransitiveTagKeys", std::string(k));
  }
}

constexpr Entry kEntries[] = {
    // AWS never denies GetCallerIdentity, even under an explicit deny: no check at all.
    {"GetCallerIdentity", [](Request& r) { r.NoPermissionNeeded(); }},
    {"AssumeRole", AssumeRole},
};

}  // namespace

const ServiceTable kStsTable = {
    "sts", "sts", [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); },
    [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
