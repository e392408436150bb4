#include "server/region.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include "api/application_autoscaling/application_autoscaling.h"
#include "api/cloudformation/cloudformation.h"
#include "api/ec2/ec2.h"
#include "api/ec2/network.h"
#include "api/ecr/ecr.h"
#include "api/ecs/ecs.h"
#include "api/ecs/task_launch.h"
#include "api/elbv2/elbv2.h"
#include "api/json_util.h"
#include "api/kms/kms.h"
#include "api/ecr/kms_data_keys.h"
#include "api/secretsmanager/secretsmanager.h"
#include "api/servicediscovery/servicediscovery.h"
#include "api/ssm/ssm.h"
#include "api/logs/logs.h"
#include "api/cloudwatch/cloudwatch.h"
#include "api/sts.h"
#include "base/logging.h"
#include "controlplane/assignment_board.h"
#include "controlplane/lb_publisher.h"
#include "controlplane/region_data_planes.h"
#include "controlplane/scaling_controller.h"
#include "controlplane/service_controller.h"
#include "controlplane/task_lifecycle.h"
#include "controlplane/task_roles.h"
#include "model/keys.h"
#include "net/nft_watch.h"
#include "registry/blob_store.h"
#include "registry/distribution.h"
#include "registry/registry.h"
#include "store/region_store.h"

namespace wharf {
namespace {

// The home region keeps the data directory's own layout; another region's files (log
// events, registry blobs) are under DATA/regions/<name>.
std::string RegionDataDir(const ServerOptions& options, const std::string& name) {
  if (name == options.region) return options.data_dir;
  return (std::filesystem::path(options.data_dir) / "regions" / name).string();
}

std::vector<std::string> SharedPrefixes() {
  std::vector<std::string> shared;
  for (auto p : model::keys::kSharedPrefixes) shared.emplace_back(p);
  return shared;
}

}  // namespace

Region::Region(const RegionDeps& deps, std::string name)
    : deps_(deps), name_(std::move(name)), data_dir_(RegionDataDir(deps.options, name_)) {}

Region::~Region() {
  // Threads first (they use what is declared before them), then what they used.
  lb_table_watch_.reset();  // it publishes; and the table is about to be removed on purpose
  stack_engine_.reset();
  lb_publisher_.reset();
  // Its listeners close before its table goes: none is left at every address unfiltered.
  if (data_plane_) data_plane_->Apply(std::make_shared<lb::Config>());
  if (lb_public_) {
    Status removed = lb_public_->Remove();
    if (!removed.ok()) LOG_WARN("msg=\"load balancer public addresses not removed\" error=\"{}\"", removed.ToString());
  }
  assignments_.reset();
  logs_.reset();
  cloudwatch_.reset();
}

bool Region::home() const { return name_ == deps_.options.region; }

metrics::MetricStore& Region::metrics() { return cloudwatch_->metrics(); }

store::Store& Region::store() { return *store_; }

Result<std::unique_ptr<Region>> Region::Start(const RegionDeps& deps, std::string name) {
  std::unique_ptr<Region> region(new Region(deps, std::move(name)));
  RETURN_IF_ERROR(region->Init().WithContext("region " + region->name_));
  return region;
}

Status Region::Init() {
  const ServerOptions& o = deps_.options;
  store_ = std::make_unique<store::RegionStore>(deps_.store, home() ? "" : model::keys::RegionPrefix(name_),
                                                SharedPrefixes());
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  if (ec) return Status::Unavailable("create " + data_dir_ + ": " + ec.message());

  api::ec2::NetworkOptions network;
  network.region = name_;
  network.account_id = o.account_id;
  network.vpc_cidr = o.vpc_cidr;
  network.public_ip_pool = o.public_ip_pool;
  RETURN_IF_ERROR(api::ec2::EnsureDefaultVpc(*store_, network));
  ASSIGN_OR_RETURN(auto ec2, api::ec2::MakeEc2Endpoint({*store_, network, &deps_.random, deps_.regions}));
  services_.push_back(std::move(ec2));

  ecs_deps_ = std::make_unique<api::ecs::EcsDeps>(api::ecs::EcsDeps{
      *store_, deps_.clock, deps_.random, name_, o.account_id, {}, {}, {}, {}, o.fargate_overcommit});
  ecs_deps_->public_ip_pool = o.public_ip_pool;
  WireVpc();
  // ECS assumes task and execution roles as ecs-tasks.amazonaws.com: IAM (global, on the
  // whole store) judges the trust policy.
  ecs_deps_->may_assume_role = [this](std::string_view role_arn) {
    return api::CheckServiceMayAssume(deps_.store, deps_.options.account_id, role_arn,
                                      controlplane::kEcsTasksPrincipal);
  };
  // A node is connected while it polls (each poll waits at most 30 s).
  ecs_deps_->agent_connected = [this](const std::string& node) {
    auto seen = assignments_ ? assignments_->LastSeen(node) : std::nullopt;
    return seen && std::chrono::steady_clock::now() - *seen < std::chrono::seconds(60);
  };
  ASSIGN_OR_RETURN(auto ecs, api::ecs::MakeEcsEndpoint(*ecs_deps_));
  services_.push_back(std::move(ecs));
  ASSIGN_OR_RETURN(assignments_, controlplane::AssignmentBoard::Start(*store_, name_));

  // KMS first: ECR repositories and log groups seal their data under its keys.
  RETURN_IF_ERROR(StartKeysAndSecrets());
  // CloudWatch before Logs: log groups' metric filters put their data in its metric store.
  ASSIGN_OR_RETURN(cloudwatch_, api::cloudwatch::CloudWatchService::Start(
                                    *store_, deps_.clock, data_dir_, name_, o.account_id,
                                    std::chrono::seconds(o.alarm_evaluation_interval_seconds)));
  ASSIGN_OR_RETURN(auto cloudwatch, cloudwatch_->Endpoint());
  services_.push_back(std::move(cloudwatch));
  ASSIGN_OR_RETURN(logs_, api::logs::LogsService::Start(*store_, deps_.clock, data_dir_, name_, o.account_id,
                                                        kms_deps_.get(), &cloudwatch_->metrics()));
  ASSIGN_OR_RETURN(auto logs, logs_->Endpoint());
  services_.push_back(std::move(logs));
  RETURN_IF_ERROR(StartRegistry());
  RETURN_IF_ERROR(StartLoadBalancers());
  cloud_map_deps_ = std::make_unique<api::servicediscovery::CloudMapDeps>(
      api::servicediscovery::CloudMapDeps{*store_, deps_.clock, deps_.random, name_, o.account_id});
  ASSIGN_OR_RETURN(auto cloud_map, api::servicediscovery::MakeServiceDiscoveryEndpoint(*cloud_map_deps_));
  services_.push_back(std::move(cloud_map));
  scaling_deps_ = std::make_unique<api::application_autoscaling::ScalingApiDeps>(api::application_autoscaling::ScalingApiDeps{
      *store_, deps_.clock, deps_.random, name_, o.account_id, o.target_tracking_period_seconds});
  ASSIGN_OR_RETURN(auto scaling, api::application_autoscaling::MakeApplicationAutoScalingEndpoint(*scaling_deps_));
  services_.push_back(std::move(scaling));
  RETURN_IF_ERROR(StartCloudFormation());

  launch_deps_ = std::make_unique<controlplane::TaskLaunchDeps>(api::ecs::LaunchDeps(*ecs_deps_));
  // A blue/green load balancer's roleArn: ECS assumes it as ecs.amazonaws.com (its CloudTrail
  // session is ECSNetworkingWithELB) to change the listener rules; IAM judges trust and policies.
  launch_deps_->may_act_as_role = [this](std::string_view role_arn,
                                         const std::vector<std::pair<std::string, std::string>>& actions) {
    return api::CheckServiceMayActAs(deps_.store, deps_.authorizer, deps_.options.account_id, name_, role_arn,
                                     "ecs.amazonaws.com", "ECSNetworkingWithELB", actions);
  };
  service_controller_deps_ = std::make_unique<controlplane::ServiceControllerDeps>(controlplane::ServiceControllerDeps{
      *launch_deps_,
      [this](const std::string& arn) {
        std::map<std::pair<std::string, int>, std::string> out;
        for (const auto& h : deps_.data_plane.Health(arn)) out[{h.target_id, h.port}] = h.state;
        return out;
      },
      [this] { lb_publisher_->PublishNow(); }});
  return Status::OK();
}

// awsvpc tasks take their subnets and security groups from the EC2 API's VPC.
void Region::WireVpc() {
  store::Store& store = *store_;
  api::ecs::EcsDeps& deps = *ecs_deps_;
  deps.find_subnet = [&store](const std::string& id) -> Result<std::optional<api::ecs::SubnetInfo>> {
    ASSIGN_OR_RETURN(auto subnet, api::ec2::FindSubnet(store, id));
    if (!subnet) return std::optional<api::ecs::SubnetInfo>();
    return std::optional<api::ecs::SubnetInfo>(
        api::ecs::SubnetInfo{subnet->id, subnet->cidr_block, subnet->vpc_id, subnet->availability_zone});
  };
  deps.security_group_exists = [&store](const std::string& id) { return api::ec2::SecurityGroupExists(store, id); };
  deps.find_default_security_group = [&store](const std::string& vpc_id) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto kv, store.Get(api::ec2::SecurityGroupNameKey(vpc_id, "default")));
    if (!kv) return std::string();
    ASSIGN_OR_RETURN(auto record, ParseObject(kv->value));
    return GetString(record, "GroupId");
  };
}

// ECR: blobs under the region's DATA/registry (a region's garbage collection sees only its
// own images, so regions never share a blob file).
Status Region::StartRegistry() {
  std::string root = (std::filesystem::path(data_dir_) / "registry").string();
  ASSIGN_OR_RETURN(blobs_, registry::BlobStore::Open(root, deps_.random));
  const ServerOptions& o = deps_.options;
  registry::RegistryOptions options{name_, o.account_id, deps_.registry_host,
                                    std::chrono::seconds(o.registry_gc_grace_seconds)};
  registry_ = std::make_unique<registry::Registry>(options, *store_, *blobs_, deps_.clock);
  ecr_data_keys_ = std::make_unique<api::ecr::KmsDataKeys>(*kms_deps_);
  registry_->SetDataKeys(ecr_data_keys_.get());
  distribution_ = std::make_unique<registry::Distribution>(*registry_);
  if (deps_.authorize_registry) {
    distribution_->SetAuthorize([this](std::string_view key, std::string_view method, std::string_view path,
                                       const net::Incoming& request) {
      return deps_.authorize_registry(name_, key, method, path, request);
    });
  }
  ASSIGN_OR_RETURN(auto ecr, api::ecr::MakeEcrEndpoint(*registry_));
  services_.push_back(std::move(ecr));
  return Status::OK();
}

// The region's load balancers, on the server's one data plane.
Status Region::StartLoadBalancers() {
  const ServerOptions& o = deps_.options;
  data_plane_ = deps_.data_planes.ForRegion(name_);
  controlplane::LoadBalancerPublisherOptions publisher{deps_.instance_address};
  if (geteuid() == 0 && FindExecutable("nft").ok() && lb::IsIpv4Address(o.lb_bind_address)) {
    // The host plays the internet: it reaches internet-facing listeners at their public addresses.
    // (As the server's data plane decides: without nft, or with an IPv6 bind address (the table
    // is IPv4 only), every listener stays at the bind address and there is no table.)
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::weakly_canonical(o.data_dir, ec);
    if (ec) dir = o.data_dir;
    bool serves_vpcs_here = o.local_agent || !o.dns_listen.empty();  // as Server starts the VPC resolver
    lb_public_ = std::make_unique<lb::PublicAddresses>(nft_runner_, o.lb_bind_address,
                                                       lb::PublicAddressTable(name_, dir.string()), serves_vpcs_here);
    // A refused table is reported once per plan and tried again at every publish (the
    // publisher's resync); until it applies, its listeners stay at the bind address.
    publisher.published = [this](const lb::Config& config) {
      if (lb_table_gone_.exchange(false) && lb_public_->holds_table()) {
        LOG_WARN("msg=\"load balancers' nft table removed or changed by someone else: writing it again\" table=\"{}\"",
                 lb_public_->table());
        lb_public_->Forget();
      }
      Status applied = lb_public_->Apply(config);
      if (!applied.ok()) LOG_WARN("msg=\"load balancer public addresses not applied\" error=\"{}\"", applied.ToString());
      return lb_public_->filtered_ports();
    };
  }
  ASSIGN_OR_RETURN(lb_publisher_,
                   controlplane::LoadBalancerPublisher::Start(*store_, deps_.clock, *data_plane_, std::move(publisher)));
  if (lb_public_) {
    // A table someone else deletes (`nft flush ruleset`) or changes is written again at once:
    // without it an internal listener at every address would answer anyone.
    auto watch = net::NftTableWatch::Start(
        {lb_public_->table()},
        [this](const std::set<std::string>&) {
          lb_table_gone_ = true;
          lb_publisher_->Republish();
        },
        &nft_runs_);
    if (watch.ok()) {
      lb_table_watch_ = std::move(*watch);
    } else {
      LOG_WARN("msg=\"a load balancers' table removed by others comes back only with a change\" error=\"{}\"",
               watch.status().ToString());
    }
  }
  elbv2_deps_ = std::make_unique<api::elbv2::Elbv2Deps>(
      api::elbv2::Elbv2Deps{*store_, deps_.clock, name_, o.account_id, *data_plane_, o.lb_bind_address,
                            &deps_.random, deps_.instance_address, [this] { lb_publisher_->PublishNow(); }, nullptr});
  elbv2_deps_->public_ip_pool = o.public_ip_pool;
  // What wharf listens on itself, that a listener at every address would collide with.
  auto port_of = [](const std::string& address) {
    auto colon = address.rfind(':');
    int port = colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
    return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : uint16_t{0};
  };
  elbv2_deps_->reserved_ports[53] = "the VPC resolver";
  for (const std::string& extra : o.dns_listen) {  // "VPC=IP:PORT"
    if (uint16_t port = port_of(extra)) elbv2_deps_->reserved_ports[port] = "the VPC resolver";
  }
  if (uint16_t port = port_of(o.listen)) elbv2_deps_->reserved_ports[port] = "its API and registry";
  elbv2_deps_->held_ports = deps_.node_ports;
  elbv2_deps_->default_security_group = [this]() -> Result<std::string> {
    api::ec2::NetworkOptions network{name_, deps_.options.account_id, deps_.options.vpc_cidr};
    ASSIGN_OR_RETURN(auto kv, store_->Get(api::ec2::SecurityGroupNameKey(api::ec2::DefaultVpcId(network), "default")));
    if (!kv) return std::string();
    ASSIGN_OR_RETURN(auto record, ParseObject(kv->value));
    return GetString(record, "GroupId");
  };
  ASSIGN_OR_RETURN(auto elbv2, api::elbv2::MakeElbv2Endpoint(*elbv2_deps_));
  services_.push_back(std::move(elbv2));
  return Status::OK();
}

// KMS, Secrets Manager and SSM Parameter Store; secrets and SecureStrings are sealed by the
// region's KMS, in process.
Status Region::StartKeysAndSecrets() {
  const ServerOptions& o = deps_.options;
  kms_deps_ = std::make_unique<api::kms::KmsDeps>(
      api::kms::KmsDeps{*store_, deps_.clock, deps_.random, name_, o.account_id, *deps_.kms_root_key,
                        deps_.authorizer});
  ASSIGN_OR_RETURN(auto kms, api::kms::MakeKmsEndpoint(*kms_deps_));
  services_.push_back(std::move(kms));
  secrets_deps_ = std::make_unique<api::secretsmanager::SecretsDeps>(
      api::secretsmanager::SecretsDeps{*store_, deps_.clock, deps_.random, name_, o.account_id, *kms_deps_});
  ASSIGN_OR_RETURN(auto secrets, api::secretsmanager::MakeSecretsManagerEndpoint(*secrets_deps_));
  services_.push_back(std::move(secrets));
  ssm_deps_ = std::make_unique<api::ssm::SsmDeps>(api::ssm::SsmDeps{*store_, deps_.clock, name_, o.account_id, *kms_deps_});
  ASSIGN_OR_RETURN(auto ssm, api::ssm::MakeSsmEndpoint(*ssm_deps_));
  services_.push_back(std::move(ssm));
  return Status::OK();
}

// CloudFormation: the stack engine makes resources through every service of the front door,
// as the caller of each stack operation.
Status Region::StartCloudFormation() {
  const ServerOptions& o = deps_.options;
  stack_provisioner_ = std::make_unique<api::cloudformation::ServiceProvisioner>(deps_.invoke, name_, o.account_id,
                                                                                 deps_.random);
  stack_engine_ = std::make_unique<controlplane::StackEngine>(controlplane::StackEngineDeps{
      *store_, deps_.clock, *stack_provisioner_, name_, o.account_id, api::ec2::AvailabilityZones});
  ASSIGN_OR_RETURN(auto cloudformation, api::cloudformation::MakeCloudFormationEndpoint(
                                            {*store_, deps_.clock, deps_.random, name_, o.account_id, *stack_engine_}));
  services_.push_back(std::move(cloudformation));
  return Status::OK();
}

Status Region::ResumeStacks() { return stack_engine_->Resume(); }

void Region::StopStacks() { stack_engine_.reset(); }

void Region::StopAssignments() { assignments_.reset(); }

Result<bool> Region::ReconcileServices() {
  ASSIGN_OR_RETURN(auto done, controlplane::ReconcileServices(*service_controller_deps_));
  return done.unsettled > 0;
}

void Region::Maintain() {
  auto repositories = store_->List(model::keys::kRepositories, "", 0);
  if (repositories.ok()) {
    for (const auto& kv : repositories->items) {
      std::string name = model::keys::RepositoryNameOfKey(kv.key);
      auto expired = registry_->ApplyLifecyclePolicy(name);
      if (!expired.ok()) {
        LOG_WARN("msg=\"lifecycle failed\" region={} repo={} error=\"{}\"", name_, name, expired.status().ToString());
      }
    }
  }
  auto expired = controlplane::ExpireStoppedTasks(*store_, deps_.clock, std::chrono::hours(1));
  if (!expired.ok()) {
    LOG_WARN("msg=\"stopped task expiry failed\" region={} error=\"{}\"", name_, expired.status().ToString());
  }
  Status activities = controlplane::ExpireScalingActivities(*store_, deps_.clock);
  if (!activities.ok()) {
    LOG_WARN("msg=\"scaling activity expiry failed\" region={} error=\"{}\"", name_, activities.ToString());
  }
  auto collected = registry_->CollectGarbage(false);
  if (!collected.ok()) {
    LOG_WARN("msg=\"registry gc failed\" region={} error=\"{}\"", name_, collected.status().ToString());
  }
}

Status Region::Autoscale() {
  return controlplane::RunScaling({*store_, cloudwatch_->metrics(), deps_.clock, deps_.random});
}

Result<int> Region::CollectGarbageNow() { return registry_->CollectGarbage(/*ignore_grace=*/true); }

}  // namespace wharf
