#include "api/servicediscovery/servicediscovery.h"

#include "api/servicediscovery/handlers.h"

namespace wharf::api::servicediscovery {

Result<ServiceEndpoint> MakeServiceDiscoveryEndpoint(const CloudMapDeps& deps) {
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("servicediscovery"));
  endpoint.validation_error = "InvalidInput";
  endpoint.to_error = CloudMapError;
  using Fn = Outcome (*)(const CloudMapDeps&, const RequestContext&, object&);
  const std::pair<const char*, Fn> operations[] = {
      {"CreateHttpNamespace", CreateHttpNamespace},
      {"CreatePrivateDnsNamespace", CreatePrivateDnsNamespace},
      {"CreatePublicDnsNamespace", CreatePublicDnsNamespace},
      {"GetNamespace", GetNamespace},
      {"ListNamespaces", ListNamespaces},
      {"UpdateHttpNamespace", UpdateHttpNamespace},
      {"UpdatePrivateDnsNamespace", UpdatePrivateDnsNamespace},
      {"UpdatePublicDnsNamespace", UpdatePublicDnsNamespace},
      {"DeleteNamespace", DeleteNamespace},
      {"GetOperation", GetOperation},
      {"ListOperations", ListOperations},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"ListTagsForResource", ListTagsForResource},
      {"CreateService", CreateService},
      {"GetService", GetService},
      {"ListServices", ListServices},
      {"UpdateService", UpdateService},
      {"DeleteService", DeleteService},
      {"GetServiceAttributes", GetServiceAttributes},
      {"UpdateServiceAttributes", UpdateServiceAttributes},
      {"DeleteServiceAttributes", DeleteServiceAttributes},
      {"RegisterInstance", RegisterInstance},
      {"DeregisterInstance", DeregisterInstance},
      {"GetInstance", GetInstance},
      {"ListInstances", ListInstances},
      {"GetInstancesHealthStatus", GetInstancesHealthStatus},
      {"UpdateInstanceCustomHealthStatus", UpdateInstanceCustomHealthStatus},
      {"DiscoverInstances", DiscoverInstances},
      {"DiscoverInstancesRevision", DiscoverInstancesRevision},
  };
  const CloudMapDeps* d = &deps;
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) return Status::Internal(std::string("Cloud Map model has no ") + name);
    endpoint.operations[name] = [d, fn = fn](const RequestContext& ctx, object& in) { return fn(*d, ctx, in); };
  }
  // aws:ResourceTag/<key> of namespaces and services.
  endpoint.resource_tags = [d](std::string_view arn) { return ResourceTagsOf(*d, arn); };
  return endpoint;
}

}  // namespace wharf::api::servicediscovery
