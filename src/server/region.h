// Region: everything one AWS region of a wharf server owns, apart from what the machine has
// once: its view of the store (store/region_store.h), its services (EC2, ECS, ELBv2, ECR,
// CloudWatch Logs, CloudWatch metrics and alarms, Application Auto Scaling), the agents' task feed, its registry and its load balancer publisher, and
// the work its controllers do. The server (server.cc) makes the home region at start, every
// region that served before at restart, and any other served region on its first signed
// request; all of them share the store, the listener, the load balancer data plane and the
// credentials.
//
// Lifecycle: Start returns a running region; destruction stops its threads. Thread-safety:
// services() is immutable; the rest may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "api/cloudformation/provisioner.h"
#include "api/front_door.h"
#include "base/clock.h"
#include "base/random.h"
#include "base/status.h"
#include "base/process.h"
#include "controlplane/lb_config.h"
#include "lb/public_addresses.h"
#include "net/nft_runs.h"
#include "server/server.h"
#include "store/store.h"

namespace wharf::api::cloudformation { class ServiceProvisioner; }
namespace wharf::api::ecs { struct EcsDeps; }
namespace wharf::api::elbv2 { struct Elbv2Deps; }
namespace wharf::api::kms { struct KmsDeps; }
namespace wharf::api::logs { class LogsService; }
namespace wharf::api::cloudwatch { class CloudWatchService; }
namespace wharf::api::application_autoscaling { struct ScalingApiDeps; }
namespace wharf::api::secretsmanager { struct SecretsDeps; }
namespace wharf::api::ssm { struct SsmDeps; }
namespace wharf::api::servicediscovery { struct CloudMapDeps; }
namespace wharf::controlplane {
class AssignmentBoard;
class Authorizer;
class LoadBalancerPublisher;
class RegionDataPlanes;
struct ServiceControllerDeps;
struct TaskLaunchDeps;
}  // namespace wharf::controlplane
namespace wharf::lb { class DataPlaneControl; }
namespace wharf::metrics { class MetricStore; }
namespace wharf::net { class NftTableWatch; }
namespace wharf::registry {
class BlobStore;
class DataKeys;
class Distribution;
class Registry;
}  // namespace wharf::registry
namespace wharf::store { class RegionStore; }
namespace wharf::kms { class RootKey; }

namespace wharf {

// What every region shares, owned by the server.
struct RegionDeps {
  const ServerOptions& options;
  store::Store& store;  // the whole store; the region sees its part
  Clock& clock;
  Random& random;
  controlplane::RegionDataPlanes& data_planes;
  lb::DataPlaneControl& data_plane;  // the one all regions' views apply to (for target health)
  // Where an instance target is reached (the local node on loopback).
  controlplane::InstanceAddress instance_address;
  std::string registry_host;  // what repositoryUri values start with
  std::vector<std::string> regions;  // every served region (DescribeRegions)
  // Whether an access key may make a registry request in a region (FrontDoor::AuthorizeRegistry).
  std::function<std::optional<std::string>(std::string_view region, std::string_view access_key_id,
                                           std::string_view method, std::string_view path,
                                           const net::Incoming& request)>
      authorize_registry;
  kms::RootKey* kms_root_key = nullptr;  // wraps KMS key material (kms/root_key.h)
  // Runs a service operation in process as an access key's holder (FrontDoor::Invoke):
  // CloudFormation makes its stacks' resources with it.
  api::cloudformation::Invoke invoke;
  // The callers' IAM policies (null without IAM): KMS's policy lockout safety check reads them.
  controlplane::Authorizer* authorizer = nullptr;
  // Ports the local node holds on this host once it runs (its task metadata endpoint's), with
  // what holds them: no load balancer listener may take them (Elbv2Deps::held_ports).
  std::function<std::map<uint16_t, std::string>()> node_ports{};
};

class Region {
 public:
  static Result<std::unique_ptr<Region>> Start(const RegionDeps& deps, std::string name);
  ~Region();

  const std::string& name() const { return name_; }
  bool home() const;
  const std::vector<api::ServiceEndpoint>& services() const { return services_; }
  store::Store& store();
  controlplane::AssignmentBoard& assignments() { return *assignments_; }
  registry::Registry& registry() { return *registry_; }
  registry::Distribution& distribution() { return *distribution_; }
  controlplane::LoadBalancerPublisher& lb_publisher() { return *lb_publisher_; }
  // The region's CloudWatch metric data, where wharf publishes AWS's own metrics.
  metrics::MetricStore& metrics();

  // Answers the agents' parked polls and takes no more (the server is stopping).
  void StopAssignments();
  // One round of the service controller; true while a service is unsettled.
  Result<bool> ReconcileServices();
  // Lifecycle policies, stopped-task and scaling-activity expiry, registry garbage collection.
  void Maintain();
  // One round of Application Auto Scaling (controlplane/scaling_controller.h).
  Status Autoscale();
  // Registry garbage collection now, young blobs too (the dev route).
  Result<int> CollectGarbageNow();
  // Carries on the CloudFormation stack operations a stopped server left under way. Once the
  // front door serves every region (the operations call the services through it).
  Status ResumeStacks();
  // Stops the stack engine (waits for its operations to give up; they carry on at restart).
  void StopStacks();

 private:
  Region(const RegionDeps& deps, std::string name);
  Status Init();
  void WireVpc();
  Status StartRegistry();
  Status StartLoadBalancers();
  Status StartKeysAndSecrets();
  Status StartCloudFormation();

  const RegionDeps deps_;
  const std::string name_;
  const std::string data_dir_;
  std::unique_ptr<store::RegionStore> store_;
  std::vector<api::ServiceEndpoint> services_;
  std::unique_ptr<api::ecs::EcsDeps> ecs_deps_;
  std::unique_ptr<controlplane::AssignmentBoard> assignments_;
  std::unique_ptr<registry::BlobStore> blobs_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<registry::Distribution> distribution_;
  std::unique_ptr<lb::DataPlaneControl> data_plane_;  // this region's view
  // The load balancers' public addresses on this host (root only: nft), before the publisher
  // that applies them. Their nft runs are recorded, so that lb_table_watch_ tells anyone
  // else's change to the table (net/nft_runs.h).
  ProcessRunner nft_process_runner_;
  net::NftRuns nft_runs_{deps_.clock};
  net::NftRunRecorder nft_runner_{nft_process_runner_, nft_runs_};
  std::unique_ptr<lb::PublicAddresses> lb_public_;
  std::unique_ptr<controlplane::LoadBalancerPublisher> lb_publisher_;
  std::atomic<bool> lb_table_gone_{false};  // told by lb_table_watch_, read by the publisher's `published`
  std::unique_ptr<net::NftTableWatch> lb_table_watch_;  // after lb_publisher_, which it calls
  std::unique_ptr<api::elbv2::Elbv2Deps> elbv2_deps_;
  std::unique_ptr<api::cloudwatch::CloudWatchService> cloudwatch_;
  std::unique_ptr<api::logs::LogsService> logs_;  // after cloudwatch_: its metric filters use the metric store
  std::unique_ptr<api::kms::KmsDeps> kms_deps_;
  std::unique_ptr<registry::DataKeys> ecr_data_keys_;  // over kms_deps_
  std::unique_ptr<api::secretsmanager::SecretsDeps> secrets_deps_;
  std::unique_ptr<api::ssm::SsmDeps> ssm_deps_;
  std::unique_ptr<api::servicediscovery::CloudMapDeps> cloud_map_deps_;
  std::unique_ptr<api::application_autoscaling::ScalingApiDeps> scaling_deps_;
  std::unique_ptr<controlplane::TaskLaunchDeps> launch_deps_;
  std::unique_ptr<controlplane::ServiceControllerDeps> service_controller_deps_;
  std::unique_ptr<api::cloudformation::ServiceProvisioner> stack_provisioner_;
  std::unique_ptr<controlplane::StackEngine> stack_engine_;  // after what its threads use
};

}  // namespace wharf
