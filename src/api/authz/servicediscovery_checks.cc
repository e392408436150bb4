// AWS Cloud Map (prefix servicediscovery). Resource types:
//   namespace  arn:aws:servicediscovery:<region>:<account>:namespace/<namespace id>
//   service    arn:aws:servicediscovery:<region>:<account>:service/<service id>
// Ids may be given as ARNs (the "Arn" shapes of the newest model): an ARN is used as it is.
// Creating namespaces, the list calls, GetOperation and the data-plane calls
// (DiscoverInstances, with servicediscovery:NamespaceName and ServiceName) are on "*".
#include <boost/json/object.hpp>

#include "api/authz/request.h"

namespace wharf::api::authz {

namespace {

std::string ResourceOf(const Request& r, std::string_view kind, std::string_view member) {
  std::string_view id = r.Str(member);
  if (id.starts_with("arn:")) return std::string(id);
  return r.Arn("servicediscovery", std::string(kind) + "/" + std::string(id));
}

void OnNamespace(Request& r, std::string_view action, std::string_view member) {
  std::string arn = ResourceOf(r, "namespace", member);
  AddKey(r.Need(action, arn), "servicediscovery:NamespaceArn", arn);
}

void OnService(Request& r, std::string_view action, std::string_view member) {
  std::string arn = ResourceOf(r, "service", member);
  AddKey(r.Need(action, arn), "servicediscovery:ServiceArn", arn);
}

void CreateNamespace(Request& r, std::string_view action) {
  Check& c = r.Need(action);
  AddRequestTags(c, r.Get("Tags"));
}

void Discover(Request& r, std::string_view action) {
  Check& c = r.Need(action);
  AddKey(c, "servicediscovery:NamespaceName", std::string(r.Str("NamespaceName")));
  AddKey(c, "servicediscovery:ServiceName", std::string(r.Str("ServiceName")));
}

constexpr Entry kEntries[] = {
    {"CreateHttpNamespace", [](Request& r) { CreateNamespace(r, "CreateHttpNamespace"); }},
    {"CreatePrivateDnsNamespace", [](Request& r) { CreateNamespace(r, "CreatePrivateDnsNamespace"); }},
    {"CreatePublicDnsNamespace", [](Request& r) { CreateNamespace(r, "CreatePublicDnsNamespace"); }},
    {"GetNamespace", [](Request& r) { OnNamespace(r, "GetNamespace", "Id"); }},
    {"DeleteNamespace", [](Request& r) { OnNamespace(r, "DeleteNamespace", "Id"); }},
    {"UpdateHttpNamespace", [](Request& r) { OnNamespace(r, "UpdateHttpNamespace", "Id"); }},
    {"UpdatePrivateDnsNamespace", [](Request& r) { OnNamespace(r, "UpdatePrivateDnsNamespace", "Id"); }},
    {"UpdatePublicDnsNamespace", [](Request& r) { OnNamespace(r, "UpdatePublicDnsNamespace", "Id"); }},
    {"ListNamespaces", [](Request& r) { r.Need("ListNamespaces"); }},
    {"GetOperation", [](Request& r) { r.Need("GetOperation"); }},
    {"ListOperations", [](Request& r) { r.Need("ListOperations"); }},
    // CreateService is on its namespace.
    {"CreateService",
     [](Request& r) {
       std::string arn = ResourceOf(r, "namespace", "NamespaceId");
       Check& c = r.Need("CreateService", arn);
       AddKey(c, "servicediscovery:NamespaceArn", arn);
       AddRequestTags(c, r.Get("Tags"));
     }},
    {"GetService", [](Request& r) { OnService(r, "GetService", "Id"); }},
    {"UpdateService", [](Request& r) { OnService(r, "UpdateService", "Id"); }},
    {"DeleteService", [](Request& r) { OnService(r, "DeleteService", "Id"); }},
    {"ListServices", [](Request& r) { r.Need("ListServices"); }},
    {"GetServiceAttributes", [](Request& r) { OnService(r, "GetServiceAttributes", "ServiceId"); }},
    {"UpdateServiceAttributes", [](Request& r) { OnService(r, "UpdateServiceAttributes", "ServiceId"); }},
    {"DeleteServiceAttributes", [](Request& r) { OnService(r, "DeleteServiceAttributes", "ServiceId"); }},
    {"RegisterInstance", [](Request& r) { OnService(r, "RegisterInstance", "ServiceId"); }},
    {"DeregisterInstance", [](Request& r) { OnService(r, "DeregisterInstance", "ServiceId"); }},
    {"GetInstance", [](Request& r) { OnService(r, "GetInstance", "ServiceId"); }},
    {"ListInstances", [](Request& r) { OnService(r, "ListInstances", "ServiceId"); }},
    {"GetInstancesHealthStatus", [](Request& r) { OnService(r, "GetInstancesHealthStatus", "ServiceId"); }},
    {"UpdateInstanceCustomHealthStatus",
     [](Request& r) { OnService(r, "UpdateInstanceCustomHealthStatus", "ServiceId"); }},
    {"DiscoverInstances", [](Request& r) { Discover(r, "DiscoverInstances"); }},
    {"DiscoverInstancesRevision", [](Request& r) { Discover(r, "DiscoverInstancesRevision"); }},
    {"TagResource",
     [](Request& r) { AddRequestTags(r.Need("TagResource", std::string(r.Str("ResourceARN"))), r.Get("Tags")); }},
    {"UntagResource",
     [](Request& r) { AddTagKeys(r.Need("UntagResource", std::string(r.Str("ResourceARN"))), r.Get("TagKeys")); }},
    {"ListTagsForResource", [](Request& r) { r.Need("ListTagsForResource", std::string(r.Str("ResourceARN"))); }},
};

}  // namespace

const ServiceTable kServiceDiscoveryTable = {
    "servicediscovery", "servicediscovery",
    [](std::string_view op, Request& r) { return RunEntry(kEntries, op, r); }, [] { return EntryNames(kEntries); }};

}  // namespace wharf::api::authz
