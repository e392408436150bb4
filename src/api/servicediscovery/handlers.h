// The Cloud Map operations, one function each.
#pragma once

#include "api/servicediscovery/common.h"

namespace wharf::api::servicediscovery {

// The tags of a namespace or service ARN, for aws:ResourceTag (empty when none or not found).
ResourceTags ResourceTagsOf(const CloudMapDeps& deps, std::string_view arn);

#define WHARF_SD_OP(name) Outcome name(const CloudMapDeps& deps, const RequestContext& ctx, object& in)
// namespaces.cc
WHARF_SD_OP(CreateHttpNamespace);
WHARF_SD_OP(CreatePrivateDnsNamespace);
WHARF_SD_OP(CreatePublicDnsNamespace);
WHARF_SD_OP(GetNamespace);
WHARF_SD_OP(ListNamespaces);
WHARF_SD_OP(UpdateHttpNamespace);
WHARF_SD_OP(UpdatePrivateDnsNamespace);
WHARF_SD_OP(UpdatePublicDnsNamespace);
WHARF_SD_OP(DeleteNamespace);
// operations.cc
WHARF_SD_OP(GetOperation);
WHARF_SD_OP(ListOperations);
WHARF_SD_OP(TagResource);
WHARF_SD_OP(UntagResource);
WHARF_SD_OP(ListTagsForResource);
// services.cc
WHARF_SD_OP(CreateService);
WHARF_SD_OP(GetService);
WHARF_SD_OP(ListServices);
WHARF_SD_OP(UpdateService);
WHARF_SD_OP(DeleteService);
WHARF_SD_OP(GetServiceAttributes);
WHARF_SD_OP(UpdateServiceAttributes);
WHARF_SD_OP(DeleteServiceAttributes);
// instances.cc
WHARF_SD_OP(RegisterInstance);
WHARF_SD_OP(DeregisterInstance);
WHARF_SD_OP(GetInstance);
WHARF_SD_OP(ListInstances);
WHARF_SD_OP(GetInstancesHealthStatus);
WHARF_SD_OP(UpdateInstanceCustomHealthStatus);
WHARF_SD_OP(DiscoverInstances);
WHARF_SD_OP(DiscoverInstancesRevision);
#undef WHARF_SD_OP

}  // namespace wharf::api::servicediscovery
