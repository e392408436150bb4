// AWS Cloud Map (JSON 1.1, servicediscovery, target prefix Route53AutoNaming_v20170314), one
// region's: HTTP, private DNS and public DNS namespaces, services with DNS records and custom
// health checks, instances, DiscoverInstances, service attributes, tags, and the operations
// that the asynchronous calls return.
//
// Asynchronous as AWS is: CreateXNamespace, the Update* and DeleteNamespace calls,
// RegisterInstance and DeregisterInstance answer an OperationId. wharf makes the change when
// it answers; the operation shows SUBMITTED for a moment and then SUCCESS
// (model/cloud_map.h), so clients that poll GetOperation see the states they expect.
//
// DiscoverInstances and DiscoverInstancesRevision are AWS's data-plane calls: botocore sends
// them to the model's host prefix "data-" before the endpoint's host
// (data-servicediscovery.<region>.amazonaws.com on AWS; data-localhost for an endpoint
// http://localhost:4566). wharf tells services apart by X-Amz-Target, not by host, so they are
// answered on the same port whatever the host: a client pointed at an IP address turns its
// host prefix off (botocore: Config(inject_host_prefix=False), or
// AWS_DISABLE_HOST_PREFIX_INJECTION=true), one pointed at a name makes "data-<name>" resolve
// to the server.
//
// Route 53 health checks (HealthCheckConfig) and alias records (AWS_ALIAS_DNS_NAME) are
// refused: wharf runs no Route 53. The records are served inside VPCs by the VPC resolver
// through controlplane::LookupCloudMapName.
//
// Thread-safety: handlers may run on any thread; every write is revision-checked.
#pragma once

#include <functional>
#include <string>

#include "api/front_door.h"
#include "base/clock.h"
#include "base/random.h"
#include "store/store.h"

namespace wharf::api::servicediscovery {

struct CloudMapDeps {
  store::Store& store;
  Clock& clock;
  Random& random;  // ids
  std::string region;
  std::string account_id;
};

Result<ServiceEndpoint> MakeServiceDiscoveryEndpoint(const CloudMapDeps& deps);

}  // namespace wharf::api::servicediscovery
