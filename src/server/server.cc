#include "server/server.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

#include <unistd.h>

#include "agent/agent.h"
#include "agent/network/egress.h"
#include "server/default_vpc.h"
#include "server/vpc_dns.h"
#include "api/credentials.h"
#include "api/json_util.h"
#include "controlplane/assignment_board.h"
#include "controlplane/authorizer.h"
#include "controlplane/region_data_planes.h"
#include "controlplane/vpc_endpoint_origin.h"
#include "api/front_door.h"
#include "console/static_site.h"
#include "api/signin.h"
#include "api/iam/iam.h"
#include "api/iam/managed_policies.h"
#include "api/sts.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "base/percent.h"
#include "base/random.h"
#include "kms/root_key.h"
#include "lb/data_plane.h"
#include "lb/public_addresses.h"
#include "net/http_server.h"
#include "registry/distribution.h"
#include "registry/registry.h"
#include "server/region.h"
#include "model/ec2_network.h"
#include "model/regions.h"
#include "store/leader_lease.h"
#include "store/store.h"
#include "controlplane/controllers.h"
#include "controlplane/ecs_metrics.h"
#include "controlplane/elb_metrics.h"
#include "metrics/metric_store.h"
#include "controlplane/lb_publisher.h"
#include "controlplane/task_lifecycle.h"
#include "controlplane/task_roles.h"
#include "model/arn.h"
#include "model/task.h"
#include "model/keys.h"

namespace wharf {
namespace {

namespace http = boost::beast::http;

net::Response JsonResponse(http::status status, const boost::json::object& body) {
  net::Response res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = boost::json::serialize(body) + "\n";
  return res;
}

// How long the credentials ECS hands a task's containers last (the agent refreshes them).
constexpr std::chrono::hours kTaskCredentialsLifetime{6};

// The query parameters of a request target, percent-decoded.
std::map<std::string, std::string> QueryParams(std::string_view target) {
  std::map<std::string, std::string> params;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    for (auto [k, v] : SplitParams(target.substr(q + 1))) params[std::string(k)] = PercentDecode(v, false);
  }
  return params;
}

// SQLite and memory stores keep every record in memory (store/memory_store.h): a read
// waits on no I/O. etcd answers each read over HTTP.
bool StoreReadsFromMemory(const std::string& store_url) { return store_url.rfind("etcd://", 0) != 0; }

// The regions the API serves: the asked-for ones (every AWS region when none are), and the
// home region always.
std::vector<std::string> ServedRegions(const ServerOptions& options) {
  std::vector<std::string> served = options.regions;
  if (served.empty()) served.assign(std::begin(model::kAwsRegions), std::end(model::kAwsRegions));
  if (std::find(served.begin(), served.end(), options.region) == served.end()) served.push_back(options.region);
  return served;
}

// --vpc-cidr's default, decided once at start (server/default_vpc.h).
ServerOptions WithDefaultVpcCidr(ServerOptions options) {
  if (options.vpc_cidr.empty()) {
    options.vpc_cidr = ChooseDefaultVpcCidr(HostIpv4Networks());
    if (options.vpc_cidr != kAwsDefaultVpcCidr) {
      LOG_WARN("msg=\"this host uses part of AWS's default VPC CIDR {}: the default VPC is {} (--vpc-cidr to choose)\"",
               kAwsDefaultVpcCidr, options.vpc_cidr);
    }
  }
  return options;
}

class WharfServer final : public Server {
 public:
  explicit WharfServer(ServerOptions options)
      : options_(WithDefaultVpcCidr(std::move(options))), served_(ServedRegions(options_)) {}
  ~WharfServer() override { Stop(); }

  Status Init() {
    if (!(options_.fargate_overcommit >= 1.0)) {
      return Status::InvalidArgument("--fargate-overcommit must be at least 1");
    }
    for (const auto& r : served_) {
      if (std::find(std::begin(model::kAwsRegions), std::end(model::kAwsRegions), r) == std::end(model::kAwsRegions)) {
        return Status::InvalidArgument("not an AWS region: " + r);
      }
    }
    std::error_code ec;
    std::filesystem::create_directories(options_.data_dir, ec);
    if (ec) return Status::Unavailable("create data dir " + options_.data_dir + ": " + ec.message());
    ASSIGN_OR_RETURN(store_, store::OpenStore(options_.store_url, options_.data_dir));
    store::LeadershipOptions leadership;
    leadership.holder_id = "wharf-" + RandomHex(random_, 12);
    leadership.on_change = [](bool leads) { LOG_INFO("msg=\"leadership changed\" leader={}", leads); };
    ASSIGN_OR_RETURN(leadership_, store::OpenLeadership(options_.store_url, std::move(leadership)));
    credentials_ = std::make_unique<api::CredentialStore>(*store_, random_);
    RETURN_IF_ERROR(credentials_->Start());  // another server's IAM changes drop cached keys
    ASSIGN_OR_RETURN(admin_, credentials_->EnsureAdminKey());
    const api::AccessKey& admin = admin_;
    credentials_path_ = (std::filesystem::absolute(options_.data_dir) / "credentials").string();
    RETURN_IF_ERROR(api::WriteSharedCredentialsFile(credentials_path_, admin));

    api::FrontDoorOptions front_door{options_.region, options_.account_id, options_.dev, options_.api_workers,
                                     options_.api_queue, StoreReadsFromMemory(options_.store_url), served_};
    front_door_ = std::make_unique<api::FrontDoor>(std::move(front_door), *credentials_, clock_, request_ids_);
    // Every request not signed by the account root is checked against the caller's IAM
    // policies, read from the records IAM keeps (global, on the whole store).
    authorizer_ = std::make_unique<controlplane::Authorizer>(*store_, [](std::string_view arn) -> const std::string* {
      const auto* policy = api::iam::FindManagedPolicy(arn);
      return policy ? &policy->document : nullptr;
    });
    RETURN_IF_ERROR(authorizer_->Start());
    front_door_->SetAuthorizer(authorizer_.get());
    ASSIGN_OR_RETURN(auto sts, api::MakeStsEndpoint({*store_, clock_, random_, options_.account_id, authorizer_.get()}));
    front_door_->AddService(std::move(sts));
    // IAM is global: one service on the whole store (its keys are shared by every region).
    ASSIGN_OR_RETURN(auto iam, api::iam::MakeIamEndpoint(
                                   {*store_, clock_, random_, options_.account_id, credentials_.get(), authorizer_.get()}));
    front_door_->AddService(std::move(iam));

    size_t colon = options_.listen.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("--listen wants HOST:PORT");
    net::HttpServerOptions http_options;
    http_options.host = options_.listen.substr(0, colon);
    http_options.port = static_cast<uint16_t>(std::stoi(options_.listen.substr(colon + 1)));
    RETURN_IF_ERROR(PrepareRegistry(http_options));
    RETURN_IF_ERROR(StartLoadBalancer());
    RETURN_IF_ERROR(StartRegions());
    AddAgentRoutes();
    AddUsageRoute();
    AddCredentialsRoute();
    AddAdminRoutes();
    http_options.threads = options_.threads > 0
                               ? options_.threads
                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    console_ = std::make_unique<console::StaticSite>(options_.console_dir.empty() ? console::DefaultConsoleDir()
                                                                                 : options_.console_dir);
    // The home region's VPC endpoints: the local node serves the home region, and a task's
    // connection to one of them is DNAT'd here (agent/network/egress.h).
    endpoints_ = std::make_unique<controlplane::EndpointDirectory>(home_->store());
    RETURN_IF_ERROR(endpoints_->Start());
    http_options.original_destination = true;
    http_options.conntrack_zone = [](uint32_t mark) { return model::VpcConntrackZoneOfMark(mark); };
    ASSIGN_OR_RETURN(http_, net::HttpServer::Start(http_options, [this](net::Incoming&& in,
                                                                       net::Responder respond) {
      // Which interface endpoint the connection came through, if it came through one: it
      // serves its own service only (FrontDoor::Handle), under its policy. A VPC's connection
      // that came through neither an endpoint nor the front is refused (ThroughVpc).
      std::shared_ptr<const controlplane::EndpointOrigin> via;
      if (!ThroughVpc(in, via)) return respond(net::Reply::Drop());
      in.via = via;
      if (in.message.target().substr(0, 3) == "/v2") {
        Region& region = RegionOfRegistry(in.message.base());
        // An ecr.dkr endpoint is its region's registry only.
        if (via && (via->service != "ecr.dkr" || via->region != region.name())) return respond(net::Reply::Drop());
        return region.distribution().Handle(std::move(in), respond);
      }
      // The console's files: no AWS API request has a /console path (they go to "/").
      if (console::IsConsoleTarget(in.message.target())) {
        if (via) return respond(net::Reply::Drop());
        return respond(console_->Serve(in.message));
      }
      front_door_->Handle(std::move(in.message), respond, in.remote_address, std::move(via));
    }));
    if (registry_host_.empty() || registry_host_.back() == ':' || registry_host_.ends_with(":0")) {
      // Port 0 was asked for: repositoryUri names the port the listener got.
      registry_host_ = http_options.host + ":" + std::to_string(http_->port());
      MutexLock lock(regions_mu_);
      region_deps_->registry_host = registry_host_;
      for (auto& [name, region] : regions_) region->registry().set_host(registry_host_);
    }
    StartControllers();
    if (options_.local_agent || !options_.dns_listen.empty()) RETURN_IF_ERROR(StartVpcResolver());
    if (options_.local_agent) RETURN_IF_ERROR(StartLocalAgent(http_options.host));
    return Status::OK();
  }

  // Whether a request may be served, and `via`, the VPC interface endpoint its connection came
  // through (EndpointDirectory::Admit): one map lookup under a lock, none for the front's. A
  // keep-alive connection stays its first request's endpoint's: another at its address (the
  // endpoint deleted and made again) ends it, as deleting the first would on AWS.
  bool ThroughVpc(const net::Incoming& in, std::shared_ptr<const controlplane::EndpointOrigin>& via) const {
    static const std::string kFront =
        std::string(agent::kServerPublicAddress) + ":" + std::to_string(agent::kServerPublicPort);
    if (!endpoints_->Admit(in.mark, in.origin_unknown, in.original_destination, kFront, via)) return false;
    return controlplane::SameEndpointAsBefore(in.connection_vpce.get(), via.get());
  }

  // The registry's endpoint a request came through, noted by the handler (ThroughVpc).
  static std::shared_ptr<const controlplane::EndpointOrigin> EndpointOf(const net::Incoming& in) {
    return std::static_pointer_cast<const controlplane::EndpointOrigin>(in.via);
  }

  // The local node's VPC resolver (server/vpc_dns.h), on the home region's records.
  Status StartVpcResolver() {
    ASSIGN_OR_RETURN(vpc_dns_, NodeVpcDns::Start(home_->store(), options_.region, options_.dns_upstreams));
    for (const auto& spec : options_.dns_listen) RETURN_IF_ERROR(vpc_dns_->ServeExtra(spec));
    return Status::OK();
  }

  // The node of this machine, over the same signed HTTP path a remote agent uses. It serves
  // the home region.
  Status StartLocalAgent(const std::string& listen_host) {
    if (geteuid() != 0) {
      LOG_WARN("msg=\"no local agent: running tasks needs root (namespaces, mounts, cgroups)\"");
      return Status::OK();
    }
    agent::AgentOptions agent_options;
    agent_options.server = agent::ServerAddress{listen_host == "0.0.0.0" ? "127.0.0.1" : listen_host,
                                                std::to_string(http_->port()), options_.region,
                                                admin_.access_key_id, admin_.secret_access_key};
    agent_options.data_dir = (std::filesystem::path(options_.data_dir) / "node").string();
    agent_options.account_id = options_.account_id;
    agent_options.runtime = options_.runtime;
    agent_options.usage_interval_seconds = options_.metrics_interval_seconds;
    agent_options.vpc_dns = vpc_dns_.get();
    // The ECS agent makes the default cluster when it is told no other.
    auto created = agent::ServerClient(agent_options.server).Ecs("CreateCluster", {{"clusterName", "default"}});
    if (!created.ok()) return created.status().WithContext("create the default cluster");
    ASSIGN_OR_RETURN(local_agent_, agent::Agent::Start(std::move(agent_options)));
    {
      MutexLock lock(local_node_mu_);
      local_node_id_ = local_agent_->node_id();
      local_metadata_port_ = local_agent_->metadata_port();
    }
    home_->lb_publisher().PublishNow();  // instance targets on this node now have an address
    return Status::OK();
  }

  // The home region, and every region that served before (their controllers run again).
  Status StartRegions() {
    std::string root_key_file = options_.kms_root_key_file.empty()
                                    ? (std::filesystem::path(options_.data_dir) / "kms-root-key").string()
                                    : options_.kms_root_key_file;
    kms_root_key_ = std::make_unique<kms::RootKey>(root_key_file, options_.kms_root_key_file.empty(), random_);
    RETURN_IF_ERROR(kms_root_key_->Preload());
    {
      MutexLock lock(regions_mu_);
      region_deps_ = std::make_unique<RegionDeps>(RegionDeps{options_, *store_, clock_, random_, *region_data_planes_,
                                                             *data_plane_, instance_address_, registry_host_, served_,
                                                             [this](std::string_view region, std::string_view key,
                                                                    std::string_view method, std::string_view path,
                                                                    const net::Incoming& request) {
                                                               return front_door_->AuthorizeRegistry(
                                                                   key, region, method, path, EndpointOf(request));
                                                             },
                                                             kms_root_key_.get(),
                                                             [this](std::string_view region, std::string_view key,
                                                                    std::string_view service, std::string_view operation,
                                                                    boost::json::object input) {
                                                               return front_door_->Invoke(region, key, service, operation,
                                                                                          std::move(input));
                                                             }});
      region_deps_->authorizer = authorizer_.get();
      region_deps_->node_ports = [this] {
        std::map<uint16_t, std::string> held;
        MutexLock lock(local_node_mu_);
        if (local_metadata_port_ != 0) held[local_metadata_port_] = "the task metadata endpoint";
        return held;
      };
    }
    ASSIGN_OR_RETURN(home_, GetRegion(options_.region));
    ASSIGN_OR_RETURN(auto started, store_->List(model::keys::kStartedRegions, "", 0));
    for (const auto& kv : started.items) {
      std::string name = kv.key.substr(model::keys::kStartedRegions.size());
      if (std::find(served_.begin(), served_.end(), name) == served_.end()) continue;  // no longer served
      RETURN_IF_ERROR(GetRegion(name).status());
    }
    front_door_->SetRegionalServices([this](std::string_view name) -> const std::vector<api::ServiceEndpoint>* {
      auto region = GetRegion(name);
      if (!region.ok()) {
        LOG_ERROR("msg=\"region failed to start\" region={} error=\"{}\"", name, region.status().ToString());
        return nullptr;
      }
      return &(*region)->services();
    });
    // Stack operations a stopped server left under way carry on, now that they can reach
    // every service.
    for (Region* region : Regions()) RETURN_IF_ERROR(region->ResumeStacks());
    return Status::OK();
  }

  // A served region, started now if it has not been (made once, kept until the server stops).
  Result<Region*> GetRegion(std::string_view name) EXCLUDES(regions_mu_) {
    MutexLock lock(regions_mu_);
    if (auto it = regions_.find(name); it != regions_.end()) return it->second.get();
    if (std::find(served_.begin(), served_.end(), name) == served_.end()) {
      return Status::NotFound("region not served: " + std::string(name));
    }
    std::string key = model::keys::StartedRegionKey(name);
    ASSIGN_OR_RETURN(auto marked, store_->Get(key));
    if (!marked) RETURN_IF_ERROR(store_->Commit({{{key, 0}}, {store::Op::Put(key, "{}")}}).status());
    ASSIGN_OR_RETURN(auto region, Region::Start(*region_deps_, std::string(name)));
    LOG_INFO("msg=\"region started\" region={}", name);
    Region* started = region.get();
    regions_.emplace(std::string(name), std::move(region));
    return started;
  }

  std::vector<Region*> Regions() EXCLUDES(regions_mu_) {
    MutexLock lock(regions_mu_);
    std::vector<Region*> out;
    for (auto& [name, region] : regions_) out.push_back(region.get());
    return out;
  }

  // A registry request goes to the region whose registry issued its credential; one
  // without a credential any region accepts gets the home region's challenge.
  registry::Distribution& RegistryFor(const net::RequestHeader& header) {
    return RegionOfRegistry(header).distribution();
  }
  // The region whose registry a /v2 request is for (by its host), else the home region.
  Region& RegionOfRegistry(const net::RequestHeader& header) {
    for (Region* region : Regions()) {
      if (region->distribution().Accepts(header)) return *region;
    }
    return *home_;
  }

  // The agents' long poll for their tasks (controlplane/assignment_board.h) and their health
  // reports, in the region their requests are signed for.
  void AddAgentRoutes() {
    front_door_->AddSignedRoute(
        "GET", "/_wharf/agent/v2/tasks", "ecs",
        [this](const api::RequestContext& ctx, const net::Request& req, const net::Responder& respond) {
          std::map<std::string, std::string> params = QueryParams(req.target());
          std::string node = params["node"];
          int64_t after = std::atoll(params["after"].c_str());
          int wait = params.count("wait") ? std::atoi(params["wait"].c_str()) : 20;
          if (node.empty()) {
            return respond(JsonResponse(http::status::bad_request, {{"message", "node is required"}}));
          }
          auto region = GetRegion(ctx.region);
          if (!region.ok()) {
            return respond(JsonResponse(http::status::service_unavailable, {{"message", region.status().ToString()}}));
          }
          (*region)->assignments().Poll(node, after, std::chrono::seconds(wait),
                                        [respond, id = ctx.request_id](Result<model::TaskAssignments> answer) {
                                          net::Response res = answer.ok()
                                              ? JsonResponse(http::status::ok, answer->ToJson())
                                              : JsonResponse(http::status::service_unavailable,
                                                             {{"message", answer.status().ToString()}});
                                          res.set("x-amzn-RequestId", id);
                                          respond(std::move(res));
                                        });
        });
    front_door_->AddSignedRoute(
        "POST", "/_wharf/agent/v1/health", "ecs",
        [this](const api::RequestContext& ctx, const net::Request& req, const net::Responder& respond) {
          auto region = GetRegion(ctx.region);
          auto report = ParseObject(req.body());
          Status applied = !region.ok() ? region.status()
                           : report.ok() ? controlplane::ApplyHealthReport((*region)->store(), *report)
                                         : report.status();
          respond(applied.ok() ? JsonResponse(http::status::ok, {{"acknowledgment", "ACK"}})
                               : JsonResponse(applied.IsInvalidArgument() || applied.IsNotFound()
                                                  ? http::status::bad_request
                                                  : http::status::service_unavailable,
                                              {{"message", applied.ToString()}}));
        });
  }

  // A task's cpu and memory use (agent/task_reports.h), as AWS/ECS metrics into the region's
  // metric store.
  void AddUsageRoute() {
    front_door_->AddSignedRoute(
        "POST", "/_wharf/agent/v1/usage", "ecs",
        [this](const api::RequestContext& ctx, const net::Request& req, const net::Responder& respond) {
          auto region = GetRegion(ctx.region);
          auto report = ParseObject(req.body());
          int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
          Status applied = !region.ok() ? region.status() : report.status();
          if (applied.ok()) {
            auto data = controlplane::EcsUsageMetrics((*region)->store(), *report, now);
            if (data.ok()) StoreAtPublishResolution(*data);
            applied = data.ok() ? (*region)->metrics().Put(*data) : data.status();
          }
          respond(applied.ok() ? JsonResponse(http::status::ok, {{"acknowledgment", "ACK"}})
                               : JsonResponse(applied.IsInvalidArgument() || applied.IsNotFound()
                                                  ? http::status::bad_request
                                                  : http::status::service_unavailable,
                                              {{"message", applied.ToString()}}));
        });
  }

  // A task's role credentials, as ECS's credentials endpoint answers them: the agent serves
  // them to the task's containers (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and pulls with the
  // execution role's. Like every agent route, a key needs ecs:Poll (the front door checks it),
  // as the ECS agent gets its tasks' credentials with the container instance role's.
  //   GET /_wharf/agent/v1/credentials?task=<task ARN>&role=task|execution
  //   200 {"RoleArn","AccessKeyId","SecretAccessKey","Token","Expiration"}; 404 no such task
  //   or role; 403 the role's trust policy refuses ecs-tasks.amazonaws.com (ECS's message).
  void AddCredentialsRoute() {
    front_door_->AddSignedRoute(
        "GET", "/_wharf/agent/v1/credentials", "ecs",
        [this](const api::RequestContext& ctx, const net::Request& req, const net::Responder& respond) {
          auto answer = [&](http::status status, const boost::json::object& body) {
            net::Response res = JsonResponse(status, body);
            res.set("x-amzn-RequestId", ctx.request_id);
            respond(std::move(res));
          };
          std::map<std::string, std::string> params = QueryParams(req.target());
          const std::string& which = params["role"];
          if (which != "task" && which != "execution") {
            return answer(http::status::bad_request, {{"message", "role must be task or execution"}});
          }
          auto kind = which == "task" ? model::TaskRoleKind::kTask : model::TaskRoleKind::kExecution;
          auto region = GetRegion(ctx.region);
          if (!region.ok()) return answer(http::status::service_unavailable, {{"message", region.status().ToString()}});
          auto role = controlplane::RoleOfTask((*region)->store(), params["task"], kind);
          if (!role.ok()) {
            return answer(role.status().IsNotFound() ? http::status::not_found : http::status::service_unavailable,
                          {{"message", role.status().message()}});
          }
          api::StsDeps sts{*store_, clock_, random_, options_.account_id, authorizer_.get()};
          auto session = api::AssumeRoleForService(sts, *role, controlplane::kEcsTasksPrincipal,
                                                   model::ShortId(params["task"]), kTaskCredentialsLifetime);
          if (!session.ok()) {
            return answer(session.status().IsFailedPrecondition() ? http::status::forbidden
                                                                  : http::status::service_unavailable,
                          {{"message", session.status().message()}});
          }
          std::string expiration = Iso8601(session->expiration).substr(0, 19) + "Z";  // ECS's form: no fraction
          answer(http::status::ok, {{"RoleArn", *role},
                                    {"AccessKeyId", session->access_key_id},
                                    {"SecretAccessKey", session->secret_access_key},
                                    {"Token", session->session_token},
                                    {"Expiration", expiration}});
        });
  }

  // ECR: request bodies (blob uploads) are spooled under DATA/registry/spool, on the same
  // filesystem as every region's blobs, so an upload is renamed into place rather than copied.
  Status PrepareRegistry(net::HttpServerOptions& http_options) {
    std::string spool = (std::filesystem::path(options_.data_dir) / "registry" / "spool").string();
    std::error_code ec;
    std::filesystem::remove_all(spool, ec);
    std::filesystem::create_directories(spool, ec);
    if (ec) return Status::Unavailable("create " + spool + ": " + ec.message());
    http_options.spool_dir = spool;
    // Only an authenticated upload is streamed to disk; anything else is read into memory
    // under the ordinary body limit and refused.
    http_options.spool_body = [this](const net::RequestHeader& header) {
      return registry::Distribution::WantsSpooledBody(header) && RegistryFor(header).Authorized(header);
    };
    registry_host_ = options_.registry_host;
    if (registry_host_.empty()) {
      registry_host_ = options_.listen;
      if (registry_host_.rfind("0.0.0.0:", 0) == 0) registry_host_ = "127.0.0.1" + registry_host_.substr(7);
    }
    return Status::OK();
  }

  // The load balancer data plane in this process, which every region's ELBv2 API drives.
  Status StartLoadBalancer() {
    lb::DataPlaneOptions lb_options;
    lb_options.bind_address = options_.lb_bind_address;
    // As root with nftables, each region keeps its load balancers' table, which lets a
    // listener's port be reached only at its load balancer's addresses, through its VPC at its
    // interfaces' (lb/public_addresses.h); so listeners take every local address, the one of
    // the bridge a connection came in through. Otherwise they stay on the bind address.
    // A listener moves there only once its table has applied (lb::Listener::filtered). The
    // table is IPv4: an IPv6 bind address keeps every listener on it, as without nft.
    if (geteuid() == 0 && FindExecutable("nft").ok() && lb::IsIpv4Address(options_.lb_bind_address)) {
      lb_options.vpc_bind_address = "0.0.0.0";
    } else if (geteuid() == 0 && !lb::IsIpv4Address(options_.lb_bind_address)) {
      LOG_WARN("msg=\"load balancer bind address is not IPv4: listeners stay on it, unreached from VPCs and "
               "public addresses\" address={}", options_.lb_bind_address);
    }
    lb_options.threads = options_.lb_threads > 0
                             ? options_.lb_threads
                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ASSIGN_OR_RETURN(data_plane_, lb::CreateDataPlane(lb_options));
    region_data_planes_ = std::make_unique<controlplane::RegionDataPlanes>(*data_plane_);
    // Instance targets: the local node's host ports are on this machine's loopback; other
    // nodes' addresses are not known to the server.
    instance_address_ = [this](const std::string& instance_id) -> std::optional<std::string> {
      MutexLock lock(local_node_mu_);
      if (!local_node_id_.empty() && instance_id == local_node_id_) return "127.0.0.1";
      return std::nullopt;
    };
    return Status::OK();
  }

  // The control plane's periodic work, on the leader (controlplane/controllers.h), for every
  // started region: the service controller, a round every 200 ms while a service is
  // deploying, scaling or not yet steady (a task that just started joins its target groups,
  // a target that just turned healthy retires an old task without waiting a full second),
  // else one a second; and maintenance every maintenance interval: ECR lifecycle policies,
  // stopped-task expiry, registry GC.
  void StartControllers() {
    std::vector<controlplane::ControllerJob> jobs;
    jobs.push_back({"services", std::chrono::milliseconds(1000), std::chrono::milliseconds(200),
                    [this]() -> Result<bool> {
                      bool unsettled = false;
                      Status first;
                      for (Region* region : Regions()) {
                        auto round = region->ReconcileServices();
                        if (round.ok()) unsettled = unsettled || *round;
                        if (!round.ok() && first.ok()) first = round.status().WithContext("region " + region->name());
                      }
                      if (!first.ok()) return first;
                      return unsettled;
                    }});
    auto every = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(options_.maintenance_interval_seconds));
    jobs.push_back({"maintenance", every, every, [this]() -> Result<bool> {
                      for (Region* region : Regions()) region->Maintain();
                      auto expired = api::DeleteExpiredSessions(*store_, clock_, std::chrono::hours(1));
                      if (!expired.ok()) {
                        LOG_WARN("msg=\"session expiry failed\" error=\"{}\"", expired.status().ToString());
                      }
                      return false;
                    }});
    // Application Auto Scaling acts on alarms as often as they are evaluated.
    auto scaling_every = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::seconds(std::max(1, options_.alarm_evaluation_interval_seconds)));
    jobs.push_back({"autoscaling", scaling_every, scaling_every, [this]() -> Result<bool> {
                      Status first;
                      for (Region* region : Regions()) {
                        Status round = region->Autoscale();
                        if (!round.ok() && first.ok()) first = round.WithContext("region " + region->name());
                      }
                      if (!first.ok()) return first;
                      return false;
                    }});
    // AWS/ApplicationELB metrics from this server's load balancer, into the regions' metric
    // stores, every metrics interval.
    auto period = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(options_.metrics_interval_seconds));
    jobs.push_back({"metrics", period, period, [this]() -> Result<bool> {
                      PublishMetrics();
                      return false;
                    }});
    controllers_ = controlplane::Controllers::Start(*leadership_, std::move(jobs));
  }

  // wharf's own metrics are standard resolution (60 s buckets), as AWS publishes them; a
  // publish interval shorter than a minute (tests) stores them at 1 s so that alarms of
  // shorter periods (--target-tracking-period) see each publication.
  void StoreAtPublishResolution(std::vector<metrics::Datum>& data) const {
    if (options_.metrics_interval_seconds >= 60) return;
    for (auto& d : data) d.resolution = 1;
  }

  void PublishMetrics() {
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    auto batches = controlplane::ApplicationElbMetrics(data_plane_->TakeTraffic(), now);
    for (Region* region : Regions()) {
      auto batch = batches.find(region->name());
      if (batch == batches.end() || batch->second.empty()) continue;
      StoreAtPublishResolution(batch->second);
      Status put = region->metrics().Put(batch->second);
      if (!put.ok()) LOG_WARN("msg=\"metrics not published\" region={} error=\"{}\"", region->name(), put.ToString());
    }
  }

  uint16_t port() const override { return http_ ? http_->port() : 0; }
  const std::string& credentials_path() const override { return credentials_path_; }

  void Stop() override {
    // Stack operations first, outside regions_mu_: they call services through the front door,
    // which may look a region up.
    for (Region* region : Regions()) region->StopStacks();
    controllers_.reset();  // waits for a run in progress
    if (local_agent_) local_agent_->Stop();  // its containers keep running
    local_agent_.reset();
    if (vpc_dns_) vpc_dns_->Stop();  // before the regions: it reads the home region's store
    {
      // Answers parked polls while the listener can still send them.
      MutexLock lock(regions_mu_);
      for (auto& [name, region] : regions_) region->StopAssignments();
    }
    if (front_door_) front_door_->Stop();  // finishes queued requests, likewise
    if (http_) http_->Stop();
    http_.reset();
    endpoints_.reset();  // its watch is on the home region's store
    {
      MutexLock lock(regions_mu_);
      regions_.clear();  // their publishers stop before the data plane goes
    }
    data_plane_.reset();
    leadership_.reset();  // steps down at once so another server can lead
  }

 private:
  void AddAdminRoutes() {
    front_door_->AddAdminRoute("GET", "/_wharf/health", [this](const net::Request&) {
      auto rev = store_->CurrentRevision();
      if (!rev.ok()) {
        return JsonResponse(http::status::service_unavailable,
                            {{"status", "unavailable"}, {"store", rev.status().ToString()}});
      }
      return JsonResponse(http::status::ok, {{"status", "ok"},
                                             {"region", options_.region},
                                             {"accountId", options_.account_id},
                                             {"store", options_.store_url},
                                             {"leader", leadership_->IsLeader()},
                                             {"revision", *rev}});
    });
    // The console's password sign-in (api/signin.h): unsigned, the password is the credential.
    front_door_->AddAdminRoute("POST", "/_wharf/signin", [this](const net::Request& req) {
      return api::HandleSignin({*store_, clock_, random_, options_.account_id, authorizer_.get()}, signin_throttle_,
                               req);
    });
    if (!options_.dev) return;
    front_door_->AddAdminRoute("POST", "/_wharf/registry/gc", [this](const net::Request&) {
      int deleted = 0;
      for (Region* region : Regions()) {
        auto collected = region->CollectGarbageNow();
        if (!collected.ok()) {
          return JsonResponse(http::status::internal_server_error, {{"error", collected.status().ToString()}});
        }
        deleted += *collected;
      }
      return JsonResponse(http::status::ok, {{"deletedBlobs", deleted}});
    });
    front_door_->AddAdminRoute("POST", "/_wharf/reset", [this](const net::Request&) {
      Status st = store_->Wipe();
      if (st.ok()) st = credentials_->RestoreAfterWipe();
      if (!st.ok()) {
        return JsonResponse(http::status::internal_server_error, {{"error", st.ToString()}});
      }
      LOG_INFO("state wiped by /_wharf/reset");
      return JsonResponse(http::status::ok, {{"status", "reset"}});
    });
  }

  const ServerOptions options_;
  const std::vector<std::string> served_;
  SystemClock clock_;
  SecureRandom random_;   // keys and holder ids
  std::unique_ptr<kms::RootKey> kms_root_key_;  // set before the regions start, constant after
  FastRandom request_ids_;
  std::unique_ptr<store::Store> store_;
  // Leads the controllers (the service controller; maintenance).
  std::unique_ptr<store::Leadership> leadership_;
  std::unique_ptr<api::CredentialStore> credentials_;
  std::unique_ptr<controlplane::Authorizer> authorizer_;  // before front_door_: it outlives it
  std::unique_ptr<controlplane::EndpointDirectory> endpoints_;  // set before the listener starts
  api::SigninThrottle signin_throttle_;                    // before front_door_ too: its route uses it
  api::AccessKey admin_;
  std::unique_ptr<NodeVpcDns> vpc_dns_;  // before local_agent_: the agent borrows it
  std::unique_ptr<agent::Agent> local_agent_;
  Mutex local_node_mu_;
  std::string local_node_id_ GUARDED_BY(local_node_mu_);  // the local agent's EC2 instance id, once it started
  uint16_t local_metadata_port_ GUARDED_BY(local_node_mu_) = 0;  // its task metadata endpoint's, likewise
  controlplane::InstanceAddress instance_address_;
  std::unique_ptr<lb::DataPlaneControl> data_plane_;
  std::unique_ptr<controlplane::RegionDataPlanes> region_data_planes_;  // views of data_plane_
  std::unique_ptr<api::FrontDoor> front_door_;
  std::unique_ptr<console::StaticSite> console_;  // set before the listener starts
  std::string registry_host_;
  Mutex regions_mu_;
  std::unique_ptr<RegionDeps> region_deps_ GUARDED_BY(regions_mu_);
  std::map<std::string, std::unique_ptr<Region>, std::less<>> regions_ GUARDED_BY(regions_mu_);
  Region* home_ = nullptr;  // in regions_
  std::unique_ptr<net::HttpServer> http_;
  std::unique_ptr<controlplane::Controllers> controllers_;  // after what its jobs use
  std::string credentials_path_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  auto server = std::make_unique<WharfServer>(options);
  RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace wharf
