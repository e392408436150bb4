#include "server/server.h"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "agent/agent.h"
#include "api/credentials.h"
#include "api/ec2/ec2.h"
#include "api/ec2/network.h"
#include "api/json_util.h"
#include "api/ecr/ecr.h"
#include "controlplane/assignment_board.h"
#include "api/ecs/ecs.h"
#include "api/ecs/task_launch.h"
#include "api/elbv2/elbv2.h"
#include "api/front_door.h"
#include "api/logs/logs.h"
#include "api/iam/iam.h"
#include "api/sts.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "base/percent.h"
#include "base/random.h"
#include "lb/data_plane.h"
#include "net/http_server.h"
#include "registry/blob_store.h"
#include "registry/distribution.h"
#include "registry/registry.h"
#include "store/leader_lease.h"
#include "store/store.h"
#include "controlplane/controllers.h"
#include "controlplane/lb_publisher.h"
#include "controlplane/service_controller.h"
#include "controlplane/task_lifecycle.h"
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

// SQLite and memory stores keep every record in memory (store/memory_store.h): a read
// waits on no I/O. etcd answers each read over HTTP.
bool StoreReadsFromMemory(const std::string& store_url) { return store_url.rfind("etcd://", 0) != 0; }

class WharfServer final : public Server {
 public:
  explicit WharfServer(ServerOptions options) : options_(std::move(options)) {}
  ~WharfServer() override { Stop(); }

  Status Init() {
    if (!(options_.fargate_overcommit >= 1.0)) {
      return Status::InvalidArgument("--fargate-overcommit must be at least 1");
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
    ASSIGN_OR_RETURN(admin_, credentials_->EnsureAdminKey());
    const api::AccessKey& admin = admin_;
    credentials_path_ = (std::filesystem::absolute(options_.data_dir) / "credentials").string();
    RETURN_IF_ERROR(api::WriteSharedCredentialsFile(credentials_path_, admin));

    front_door_ = std::make_unique<api::FrontDoor>(
        api::FrontDoorOptions{options_.region, options_.account_id, options_.dev, options_.api_workers,
                              options_.api_queue, StoreReadsFromMemory(options_.store_url)},
        *credentials_,
        clock_, request_ids_);
    api::ec2::NetworkOptions network;
    network.region = options_.region;
    network.account_id = options_.account_id;
    network.vpc_cidr = options_.vpc_cidr;
    network.public_ip_pool = options_.public_ip_pool;
    RETURN_IF_ERROR(api::ec2::EnsureDefaultVpc(*store_, network));
    ASSIGN_OR_RETURN(auto ec2, api::ec2::MakeEc2Endpoint({*store_, network, &random_}));
    front_door_->AddService(std::move(ec2));
    ecs_deps_ = std::make_unique<api::ecs::EcsDeps>(
        api::ecs::EcsDeps{*store_, clock_, random_, options_.region, options_.account_id, {}, {}, {}, {},
                          options_.fargate_overcommit});
    WireVpc(*ecs_deps_);
    // A node is connected while it polls (each poll waits at most 30 s).
    ecs_deps_->agent_connected = [this](const std::string& node) {
      auto seen = assignments_ ? assignments_->LastSeen(node) : std::nullopt;
      return seen && std::chrono::steady_clock::now() - *seen < std::chrono::seconds(60);
    };
    ASSIGN_OR_RETURN(auto ecs, api::ecs::MakeEcsEndpoint(*ecs_deps_));
    front_door_->AddService(std::move(ecs));
    RETURN_IF_ERROR(StartAssignments());
    ASSIGN_OR_RETURN(auto sts, api::MakeStsEndpoint());
    front_door_->AddService(std::move(sts));
    ASSIGN_OR_RETURN(auto iam, api::iam::MakeIamEndpoint(
                                   {*store_, clock_, random_, options_.account_id, credentials_.get()}));
    front_door_->AddService(std::move(iam));
    ASSIGN_OR_RETURN(logs_, api::logs::LogsService::Start(*store_, clock_, options_.data_dir, options_.region,
                                                          options_.account_id));
    ASSIGN_OR_RETURN(auto logs, logs_->Endpoint());
    front_door_->AddService(std::move(logs));

    size_t colon = options_.listen.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("--listen wants HOST:PORT");
    net::HttpServerOptions http_options;
    http_options.host = options_.listen.substr(0, colon);
    http_options.port = static_cast<uint16_t>(std::stoi(options_.listen.substr(colon + 1)));
    RETURN_IF_ERROR(StartRegistry(http_options));
    RETURN_IF_ERROR(StartLoadBalancer());
    AddAdminRoutes();
    http_options.threads = options_.threads > 0
                               ? options_.threads
                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ASSIGN_OR_RETURN(http_, net::HttpServer::Start(http_options, [this](net::Incoming&& in,
                                                                       net::Responder respond) {
      if (in.message.target().substr(0, 3) == "/v2") return distribution_->Handle(std::move(in), respond);
      front_door_->Handle(std::move(in.message), respond);
    }));
    if (registry_host_.empty() || registry_host_.back() == ':' || registry_host_.ends_with(":0")) {
      // Port 0 was asked for: repositoryUri names the port the listener got.
      registry_->set_host(http_options.host + ":" + std::to_string(http_->port()));
    }
    StartControllers();
    if (options_.local_agent) RETURN_IF_ERROR(StartLocalAgent(http_options.host));
    return Status::OK();
  }

  // The node of this machine, over the same signed HTTP path a remote agent uses.
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
    // The ECS agent makes the default cluster when it is told no other.
    auto created = agent::ServerClient(agent_options.server).Ecs("CreateCluster", {{"clusterName", "default"}});
    if (!created.ok()) return created.status().WithContext("create the default cluster");
    ASSIGN_OR_RETURN(local_agent_, agent::Agent::Start(std::move(agent_options)));
    {
      MutexLock lock(local_node_mu_);
      local_node_id_ = local_agent_->node_id();
    }
    lb_publisher_->PublishNow();  // instance targets on this node now have an address
    return Status::OK();
  }

  // awsvpc tasks take their subnets and security groups from the EC2 API's VPC.
  void WireVpc(api::ecs::EcsDeps& deps) {
    store::Store& store = *store_;
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

  // The agents' long poll for their tasks (controlplane/assignment_board.h).
  Status StartAssignments() {
    ASSIGN_OR_RETURN(assignments_, controlplane::AssignmentBoard::Start(*store_));
    front_door_->AddSignedRoute(
        "GET", "/_wharf/agent/v2/tasks", "ecs",
        [this](const api::RequestContext& ctx, const net::Request& req, const net::Responder& respond) {
          std::map<std::string, std::string> params;
          std::string_view target = req.target();
          if (size_t q = target.find('?'); q != std::string_view::npos) {
            for (auto [k, v] : SplitParams(target.substr(q + 1))) params[std::string(k)] = PercentDecode(v, false);
          }
          std::string node = params["node"];
          int64_t after = std::atoll(params["after"].c_str());
          int wait = params.count("wait") ? std::atoi(params["wait"].c_str()) : 20;
          if (node.empty()) {
            return respond(JsonResponse(http::status::bad_request, {{"message", "node is required"}}));
          }
          assignments_->Poll(node, after, std::chrono::seconds(wait),
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
        [this](const api::RequestContext&, const net::Request& req, const net::Responder& respond) {
          auto report = ParseObject(req.body());
          Status applied = report.ok() ? controlplane::ApplyHealthReport(*store_, *report) : report.status();
          respond(applied.ok() ? JsonResponse(http::status::ok, {{"acknowledgment", "ACK"}})
                               : JsonResponse(applied.IsInvalidArgument() || applied.IsNotFound()
                                                  ? http::status::bad_request
                                                  : http::status::service_unavailable,
                                              {{"message", applied.ToString()}}));
        });
    return Status::OK();
  }

  // ECR: blobs under DATA/registry, request bodies spooled beside them (same filesystem, so
  // an upload is renamed into place rather than copied).
  Status StartRegistry(net::HttpServerOptions& http_options) {
    std::string root = (std::filesystem::path(options_.data_dir) / "registry").string();
    ASSIGN_OR_RETURN(blobs_, registry::BlobStore::Open(root, random_));
    std::error_code ec;
    std::filesystem::remove_all(root + "/spool", ec);
    std::filesystem::create_directories(root + "/spool", ec);
    if (ec) return Status::Unavailable("create " + root + "/spool: " + ec.message());
    http_options.spool_dir = root + "/spool";
    // Only an authenticated upload is streamed to disk; anything else is read into memory
    // under the ordinary body limit and refused.
    http_options.spool_body = [this](const net::RequestHeader& header) {
      return registry::Distribution::WantsSpooledBody(header) && distribution_->Authorized(header);
    };
    registry_host_ = options_.registry_host;
    if (registry_host_.empty()) {
      registry_host_ = options_.listen;
      if (registry_host_.rfind("0.0.0.0:", 0) == 0) registry_host_ = "127.0.0.1" + registry_host_.substr(7);
    }
    registry::RegistryOptions registry_options{options_.region, options_.account_id, registry_host_,
                                               std::chrono::seconds(options_.registry_gc_grace_seconds)};
    registry_ = std::make_unique<registry::Registry>(registry_options, *store_, *blobs_, clock_);
    distribution_ = std::make_unique<registry::Distribution>(*registry_);
    ASSIGN_OR_RETURN(auto ecr, api::ecr::MakeEcrEndpoint(*registry_));
    front_door_->AddService(std::move(ecr));
    return Status::OK();
  }

  // The load balancer data plane in this process, driven by the ELBv2 API.
  Status StartLoadBalancer() {
    lb::DataPlaneOptions lb_options;
    lb_options.bind_address = options_.lb_bind_address;
    lb_options.threads = options_.lb_threads > 0
                             ? options_.lb_threads
                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ASSIGN_OR_RETURN(data_plane_, lb::CreateDataPlane(lb_options));
    // Instance targets: the local node's host ports are on this machine's loopback; other
    // nodes' addresses are not known to the server.
    controlplane::InstanceAddress instance_address = [this](const std::string& instance_id) -> std::optional<std::string> {
      MutexLock lock(local_node_mu_);
      if (!local_node_id_.empty() && instance_id == local_node_id_) return "127.0.0.1";
      return std::nullopt;
    };
    ASSIGN_OR_RETURN(lb_publisher_, controlplane::LoadBalancerPublisher::Start(*store_, clock_, *data_plane_,
                                                                               {instance_address}));
    elbv2_deps_ = std::make_unique<api::elbv2::Elbv2Deps>(
        api::elbv2::Elbv2Deps{*store_, clock_, options_.region, options_.account_id, *data_plane_,
                              options_.lb_bind_address, &random_, instance_address,
                              [this] { lb_publisher_->PublishNow(); }, nullptr});
    elbv2_deps_->default_security_group = [this]() -> Result<std::string> {
      api::ec2::NetworkOptions network{options_.region, options_.account_id, options_.vpc_cidr};
      ASSIGN_OR_RETURN(auto kv, store_->Get(api::ec2::SecurityGroupNameKey(api::ec2::DefaultVpcId(network), "default")));
      if (!kv) return std::string();
      ASSIGN_OR_RETURN(auto record, ParseObject(kv->value));
      return GetString(record, "GroupId");
    };
    ASSIGN_OR_RETURN(auto elbv2, api::elbv2::MakeElbv2Endpoint(*elbv2_deps_));
    front_door_->AddService(std::move(elbv2));
    return Status::OK();
  }

  // The control plane's periodic work, on the leader (controlplane/controllers.h): the service
  // controller, a round every 200 ms while a service is deploying, scaling or not yet steady
  // (a task that just started joins its target groups, a target that just turned healthy
  // retires an old task without waiting a full second), else one a second; and maintenance
  // every maintenance interval: ECR lifecycle policies, stopped-task expiry, registry GC.
  void StartControllers() {
    launch_deps_ = std::make_unique<controlplane::TaskLaunchDeps>(api::ecs::LaunchDeps(*ecs_deps_));
    service_controller_deps_ = std::make_unique<controlplane::ServiceControllerDeps>(controlplane::ServiceControllerDeps{
        *launch_deps_,
        [this](const std::string& arn) {
          std::map<std::pair<std::string, int>, std::string> out;
          for (const auto& h : data_plane_->Health(arn)) out[{h.target_id, h.port}] = h.state;
          return out;
        },
        [this] { lb_publisher_->PublishNow(); }});
    std::vector<controlplane::ControllerJob> jobs;
    jobs.push_back({"services", std::chrono::milliseconds(1000), std::chrono::milliseconds(200),
                    [this]() -> Result<bool> {
                      ASSIGN_OR_RETURN(auto done, controlplane::ReconcileServices(*service_controller_deps_));
                      return done.unsettled > 0;
                    }});
    auto every = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(options_.maintenance_interval_seconds));
    jobs.push_back({"maintenance", every, every, [this]() -> Result<bool> {
                      Maintain();
                      return false;
                    }});
    controllers_ = controlplane::Controllers::Start(*leadership_, std::move(jobs));
  }

  void Maintain() {
    auto repositories = store_->List(model::keys::kRepositories, "", 0);
    if (repositories.ok()) {
      for (const auto& kv : repositories->items) {
        std::string name = model::keys::RepositoryNameOfKey(kv.key);
        auto expired = registry_->ApplyLifecyclePolicy(name);
        if (!expired.ok()) LOG_WARN("msg=\"lifecycle failed\" repo={} error=\"{}\"", name, expired.status().ToString());
      }
    }
    auto expired = controlplane::ExpireStoppedTasks(*store_, clock_, std::chrono::hours(1));
    if (!expired.ok()) LOG_WARN("msg=\"stopped task expiry failed\" error=\"{}\"", expired.status().ToString());
    auto collected = registry_->CollectGarbage(false);
    if (!collected.ok()) LOG_WARN("msg=\"registry gc failed\" error=\"{}\"", collected.status().ToString());
  }

  uint16_t port() const override { return http_ ? http_->port() : 0; }
  const std::string& credentials_path() const override { return credentials_path_; }

  void Stop() override {
    controllers_.reset();  // waits for a run in progress
    if (local_agent_) local_agent_->Stop();  // its containers keep running
    local_agent_.reset();
    assignments_.reset();  // answers parked polls while the listener can still send them
    if (front_door_) front_door_->Stop();  // finishes queued requests, likewise
    if (http_) http_->Stop();
    http_.reset();
    lb_publisher_.reset();
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
    if (!options_.dev) return;
    front_door_->AddAdminRoute("POST", "/_wharf/registry/gc", [this](const net::Request&) {
      auto deleted = registry_->CollectGarbage(/*ignore_grace=*/true);
      if (!deleted.ok()) {
        return JsonResponse(http::status::internal_server_error, {{"error", deleted.status().ToString()}});
      }
      return JsonResponse(http::status::ok, {{"deletedBlobs", *deleted}});
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
  SystemClock clock_;
  SecureRandom random_;   // keys and holder ids
  FastRandom request_ids_;
  std::unique_ptr<store::Store> store_;
  // Leads the controllers (the service controller; maintenance).
  std::unique_ptr<store::Leadership> leadership_;
  std::unique_ptr<api::CredentialStore> credentials_;
  api::AccessKey admin_;
  std::unique_ptr<agent::Agent> local_agent_;
  Mutex local_node_mu_;
  std::string local_node_id_ GUARDED_BY(local_node_mu_);  // the local agent's EC2 instance id, once it started
  std::unique_ptr<api::FrontDoor> front_door_;
  std::unique_ptr<api::ecs::EcsDeps> ecs_deps_;
  std::unique_ptr<controlplane::AssignmentBoard> assignments_;
  std::unique_ptr<registry::BlobStore> blobs_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<registry::Distribution> distribution_;
  std::string registry_host_;
  std::unique_ptr<lb::DataPlaneControl> data_plane_;
  std::unique_ptr<controlplane::LoadBalancerPublisher> lb_publisher_;  // feeds data_plane_
  std::unique_ptr<api::elbv2::Elbv2Deps> elbv2_deps_;
  std::unique_ptr<api::logs::LogsService> logs_;  // outlives the listener (declared before it)
  std::unique_ptr<net::HttpServer> http_;
  std::unique_ptr<controlplane::TaskLaunchDeps> launch_deps_;
  std::unique_ptr<controlplane::ServiceControllerDeps> service_controller_deps_;
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
