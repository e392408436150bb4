#include "agent/agent.h"

#include <arpa/inet.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "agent/execution_role_sessions.h"
#include "agent/network/egress.h"
#include "agent/network/firewall.h"
#include "agent/node.h"
#include "agent/pull_path.h"
#include "agent/snapshot/overlay.h"
#include "agent/task_files.h"
#include "agent/task_runner.h"
#include "base/crypto.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "base/clock.h"
#include "base/random.h"
#include "model/ec2_network.h"
#include "model/json.h"
#include "net/nft_watch.h"

namespace wharf::agent {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr char kAgentVersion[] = "1.90.0-wharf";
constexpr int kPollSeconds = 20;
// How often images that no task on the node uses are removed (the ECS agent cleans up hourly too).
constexpr std::chrono::hours kImageCleanupAge{1};
// The security group table is applied again at the first answer after this long, even when
// unchanged: a table removed by someone else comes back (network/firewall.h).
constexpr std::chrono::seconds kFirewallRefresh{60};
// How long a node keeps its tables once its last ENI left (TablesLoop).
constexpr std::chrono::seconds kIdleTablesAfter{2};

Result<json::object> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Internal(path + " is not a JSON object");
  return std::move(v.get_object());
}

Status WriteJsonFile(const std::string& path, const json::object& o) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json::serialize(o);
    if (!out) return Status::Internal("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::Internal("cannot rename " + tmp);
  return Status::OK();
}

int64_t MemoryMiB() {
  struct sysinfo info {};
  sysinfo(&info);
  return static_cast<int64_t>(info.totalram) * info.mem_unit / (1024 * 1024);
}

// The attributes the ECS agent registers that say what tasks this node can run.
json::array Capabilities() {
  json::array out;
  for (const char* name :
       {"com.amazonaws.ecs.capability.docker-remote-api.1.17", "com.amazonaws.ecs.capability.docker-remote-api.1.18",
        "com.amazonaws.ecs.capability.docker-remote-api.1.19", "com.amazonaws.ecs.capability.docker-remote-api.1.21",
        "com.amazonaws.ecs.capability.docker-remote-api.1.24", "com.amazonaws.ecs.capability.docker-remote-api.1.29",
        "com.amazonaws.ecs.capability.ecr-auth", "com.amazonaws.ecs.capability.task-iam-role",
        "ecs.capability.execution-role-ecr-pull", "ecs.capability.task-eni", "ecs.capability.container-ordering",
        "ecs.capability.full-sync", "ecs.capability.increased-task-cpu-limit", "ecs.capability.container-health-check",
        "ecs.capability.execution-role-awslogs",
        "com.amazonaws.ecs.capability.logging-driver.awslogs", "com.amazonaws.ecs.capability.logging-driver.json-file",
        "com.amazonaws.ecs.capability.logging-driver.none", "ecs.capability.task-cpu-mem-limit",
        "ecs.capability.secrets.asm.environment-variables", "ecs.capability.secrets.ssm.environment-variables",
        "ecs.capability.secrets.asm.bootstrap.log-driver", "ecs.capability.secrets.ssm.bootstrap.log-driver",
        "ecs.capability.private-registry-authentication.secretsmanager"}) {
    out.push_back(json::object{{"name", name}});
  }
  return out;
}

class AgentImpl final : public Agent {
 public:
  explicit AgentImpl(AgentOptions options) : options_(std::move(options)), server_(options_.server) {}
  ~AgentImpl() override { Stop(); }

  Status Init() {
    std::error_code ec;
    for (const char* sub : {"tasks", "images", "runtime", "network"}) {
      fs::create_directories(fs::path(options_.data_dir) / sub, ec);
      if (ec) return Status::Unavailable("create " + options_.data_dir + "/" + sub + ": " + ec.message());
    }
    data_dir_ = fs::absolute(options_.data_dir).string();
    RETURN_IF_ERROR(LoadNodeIdentity());
    ASSIGN_OR_RETURN(images_, ImageStore::Open(data_dir_ + "/images"));
    RuntimeOptions runtime;
    runtime.runtime_binary = options_.runtime;
    runtime.state_dir = data_dir_ + "/runtime";
    ASSIGN_OR_RETURN(runtime_, MakeMonitorRuntime(std::move(runtime)));
    // The node's nft tables and task namespaces are named by its data directory: a restarted
    // agent finds its own, and two agents on one host never replace (or sweep) each other's.
    std::error_code canonical_ec;
    std::string table_key = fs::weakly_canonical(data_dir_, canonical_ec).string();
    if (canonical_ec) table_key = data_dir_;  // never "" (every such agent would share one name)
    firewall_ = std::make_unique<Firewall>(nft_runner_, NodeTableName("wharf", table_key));
    egress_ = std::make_unique<Egress>(nft_runner_, NodeTableName("wharf_egress", table_key));
    CniOptions cni;
    cni.runner = &nft_runner_;
    cni.state_dir = data_dir_ + "/network";
    cni.vpc_table = NodeTableName("wharf_vpc", table_key);
    cni.netns_prefix = NodeNetnsPrefix(table_key);
    ASSIGN_OR_RETURN(network_, Network::Open(cni));
    // Task role credentials come from the server, which assumes the role for the task; the
    // task protection endpoint calls ECS with them.
    metadata_ = std::make_unique<MetadataDirectory>(
        clock_, [this](const std::string& task_arn) { return server_.TaskRoleCredentials(task_arn, "task"); },
        [this](const json::object& creds, std::string_view operation, const json::object& input) {
          SessionCredentials role{GetString(creds, "AccessKeyId"), GetString(creds, "SecretAccessKey"),
                                  GetString(creds, "Token")};
          return server_.Call("ecs", "AmazonEC2ContainerServiceV20141113." + std::string(operation), input,
                              options_.server.region, &role);
        });
    ASSIGN_OR_RETURN(metadata_server_, MetadataServer::Start(*metadata_));
    logs_ = std::make_unique<LogShipper>(server_, &execution_sessions_);
    logs_->Start();
    node_.reset(new NodeContext{server_, *images_, *runtime_, *network_, rootfs_, *logs_, *metadata_, *metadata_server_, clock_,
                                data_dir_ + "/tasks", options_.cluster,
                                options_.server.region, Subnet{"bridge", options_.bridge_cidr, "wharf0", ""},
                                PullFromServer(), [this](const std::string& task_arn) {
                                  PullOptions pull = PullFromServer(task_arn);
                                  pull.policy = PullPolicy::kAlways;
                                  return pull;
                                }});
    node_->vpc_dns = options_.vpc_dns;
    node_->enforced_enis = &enforced_enis_;
    node_->egress_enis = &egress_enis_;
    node_->execution_role = &execution_role_;
    node_->execution_role_in = [this](const std::string& netns_path,
                                      const std::string& address) -> std::unique_ptr<ExecutionRoleCalls> {
      ServerAddress front = options_.server;
      front.host = address.empty() ? std::string(kServerPublicAddress) : address;
      front.port = std::to_string(address.empty() ? kServerPublicPort : kEndpointPort);
      front.netns_path = netns_path;
      front.connect_timeout = kTaskNetworkDialTimeout;
      return std::make_unique<OwnedExecutionRoleClient>(std::move(front), execution_sessions_);
    };
    // Per node: Adopt removes what no task of this node claims, and another agent may share the host.
    node_->private_specs_dir = "/run/wharf/specs/" + node_id_;
    node_->usage_interval = std::chrono::seconds(std::max(1, options_.usage_interval_seconds));
    RETURN_IF_ERROR(Register());
    // The subnets an earlier agent set up here and did not take down (killed, or stopped while
    // a task was being torn down): this one takes them down when it stops idle.
    for (const Subnet& subnet : network_->SubnetsMade()) node_->resources.UseSubnet(subnet);
    Adopt();
    tables_ = std::thread([this] { TablesLoop(); });
    // A table someone else deletes (`nft flush ruleset`) or changes at all is written again at
    // once, not at the next refresh: until then a VPC bridge's route_localnet and its tasks
    // would be unguarded.
    auto watch = net::NftTableWatch::Start({firewall_->table(), egress_->table(), egress_->ports_table(),
                                            network_->vpc_table()},
                                           [this](const std::set<std::string>& gone) { TablesGone(gone); },
                                           &nft_runs_);
    if (watch.ok()) {
      table_watch_ = std::move(*watch);
    } else {
      LOG_WARN("msg=\"nft tables removed by others come back only at the next refresh\" error=\"{}\"",
               watch.status().ToString());
    }
    loop_ = std::thread([this] { Loop(); });
    return Status::OK();
  }

  const std::string& container_instance_arn() const override { return container_instance_arn_; }
  const std::string& node_id() const override { return node_id_; }
  uint16_t metadata_port() const override { return metadata_server_ ? metadata_server_->Port("127.0.0.1") : 0; }

  void Stop() override {
    {
      MutexLock lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    server_.Cancel();
    if (loop_.joinable()) loop_.join();
    table_watch_.reset();  // before the tables thread goes, and before Remove deletes tables on purpose
    {
      MutexLock lock(tables_mu_);
      tables_stopping_ = true;
      tables_cv_.SignalAll();
    }
    if (tables_.joinable()) tables_.join();
    // Each detaches (its containers keep running), all at once; idle is judged once they have
    // ended: a task stopping as the agent stops (its STOPPED reported, its files not yet
    // removed) finishes its cleanup first and holds nothing, and must not keep the node's
    // bridges up with no later agent to know them.
    for (const auto& [_, runner] : runners_) runner->Detach();
    bool idle = true;
    for (const auto& [_, runner] : runners_) {
      runner->Join();
      idle = idle && runner->Released();
    }
    runners_.clear();
    if (logs_) logs_->Stop();  // unsent lines stay in their files for the next agent
    if (metadata_server_) metadata_server_->Stop();
    if (!idle || !node_) return;
    // Nothing runs here any more: take down the bridges and rules this node made, so a
    // stopped wharf leaves the host as it found it.
    if (Status st = firewall_->Remove(); !st.ok()) {
      LOG_WARN("msg=\"security group table removal failed\" error=\"{}\"", st.ToString());
    }
    if (Status st = egress_->Remove(); !st.ok()) {
      LOG_WARN("msg=\"egress table removal failed\" error=\"{}\"", st.ToString());
    }
    for (const auto& [_, subnet] : node_->resources.SubnetsUsed()) {
      Status st = network_->RemoveSubnetBridge(subnet);
      if (!st.ok()) LOG_WARN("msg=\"bridge removal failed\" bridge={} error=\"{}\"", subnet.bridge, st.ToString());
    }
    std::error_code ec;
    fs::remove(node_->private_specs_dir, ec);  // empty: every task's spec went with it
  }

 private:
  Status LoadNodeIdentity() {
    auto node = ReadJsonFile(data_dir_ + "/node.json");
    if (node.ok()) {
      node_id_ = GetString(*node, "instanceId");
      container_instance_arn_ = GetString(*node, "containerInstanceArn");
    }
    if (node_id_.empty()) {
      SecureRandom random;
      node_id_ = "i-" + RandomHex(random, 17);
    }
    return SaveNodeIdentity();
  }

  Status SaveNodeIdentity() {
    return WriteJsonFile(data_dir_ + "/node.json",
                         {{"instanceId", node_id_}, {"containerInstanceArn", container_instance_arn_}});
  }

  // Images named by the server's own registry (its ECR host names, or its address) are
  // pulled from the server with an ECR token, as the ECS agent pulls with the execution role.
  // Every region's ECR is the server's, each with its own repositories: an image of another
  // region ("<account>.dkr.ecr.eu-west-1.amazonaws.com/app") is pulled with a token of that
  // region, as cross-region pulls work on AWS.
  // `execution_task_arn`, when set: the tokens are got with that task's execution role, as
  // ECS pulls for a task definition with an executionRoleArn.
  PullOptions PullFromServer(std::string execution_task_arn = "") {
    PullOptions pull;
    std::string server_host = options_.server.host + ":" + options_.server.port;
    // The region of an ECR host name; empty for the server's own address ("" region: the
    // agent's); nullopt for any other registry.
    auto server_region = [server_host](const std::string& registry) -> std::optional<std::string> {
      if (registry == server_host) return std::string();
      static constexpr std::string_view kEcr = ".dkr.ecr.", kDomain = ".amazonaws.com";
      size_t ecr = registry.find(kEcr);
      if (ecr == std::string::npos || !registry.ends_with(kDomain)) return std::nullopt;
      size_t start = ecr + kEcr.size(), end = registry.size() - kDomain.size();
      if (end <= start) return std::nullopt;
      return registry.substr(start, end - start);
    };
    pull.is_ecr = [server_region](const std::string& registry) { return server_region(registry).has_value(); };
    pull.endpoint = [server_region, this](const std::string& registry) -> Result<RegistryEndpoint> {
      if (server_region(registry)) return RegistryEndpoint{"http", options_.server.host, options_.server.port};
      RegistryEndpoint e{"http", registry, "80"};
      if (size_t colon = registry.rfind(':'); colon != std::string::npos) {
        e.host = registry.substr(0, colon);
        e.port = registry.substr(colon + 1);
      }
      return e;
    };
    pull.credentials = [server_region, execution_task_arn,
                        this](const std::string& registry) -> Result<std::optional<RegistryCredentials>> {
      auto region = server_region(registry);
      if (!region) return std::optional<RegistryCredentials>();
      std::optional<SessionCredentials> role;
      if (!execution_task_arn.empty()) {
        ASSIGN_OR_RETURN(role, execution_sessions_.Get(execution_task_arn));
      }
      ASSIGN_OR_RETURN(json::object out, server_.Call("ecr", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
                                                      json::object{}, *region, role ? &*role : nullptr));
      ASSIGN_OR_RETURN(RegistryCredentials credentials, EcrCredentialsOf(out));
      return std::optional<RegistryCredentials>(std::move(credentials));
    };
    return pull;
  }

  Status Register() {
    json::object doc{{"instanceId", node_id_}, {"instanceType", "wharf.node"}, {"region", options_.server.region},
                     {"availabilityZone", options_.availability_zone.empty() ? options_.server.region + "a"
                                                                              : options_.availability_zone}};
    json::array reserved;
    for (int p : {22, 2375, 2376, 51678, 51679}) reserved.push_back(json::value(std::to_string(p)));
    json::object in{
        {"cluster", options_.cluster},
        {"instanceIdentityDocument", json::serialize(doc)},
        {"totalResources",
         json::array{
             json::object{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 1024 * static_cast<int64_t>(std::thread::hardware_concurrency())}},
             json::object{{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", MemoryMiB()}},
             json::object{{"name", "PORTS"}, {"type", "STRINGSET"}, {"stringSetValue", std::move(reserved)}},
             json::object{{"name", "PORTS_UDP"}, {"type", "STRINGSET"}, {"stringSetValue", json::array()}}}},
        {"versionInfo", json::object{{"agentVersion", kAgentVersion}, {"agentHash", "wharf"}, {"dockerVersion", options_.runtime}}},
        {"attributes", Capabilities()}};
    if (!container_instance_arn_.empty()) in["containerInstanceArn"] = container_instance_arn_;
    ASSIGN_OR_RETURN(json::object out, server_.Ecs("RegisterContainerInstance", in));
    container_instance_arn_ = GetString(out["containerInstance"].as_object(), "containerInstanceArn");
    LOG_INFO("msg=\"node registered\" node={} cluster={} containerInstance={}", node_id_, options_.cluster,
             container_instance_arn_);
    return SaveNodeIdentity();
  }

  // Tasks a previous run of the agent left here, and whatever of theirs is unaccounted for.
  void Adopt() {
    std::set<std::string> known;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(data_dir_ + "/tasks", ec)) {
      auto state = ReadJsonFile(entry.path().string() + "/state.json");
      if (!state.ok()) {
        // Nothing was made for it yet (the state is written before anything is): unless a
        // root is mounted there, which is left alone rather than emptied.
        bool mounted = false;
        for (const auto& c : fs::directory_iterator(entry.path() / "containers", ec)) {
          mounted = mounted || IsMountPoint((c.path() / "rootfs").string());
        }
        if (!mounted) fs::remove_all(entry.path(), ec);
        continue;
      }
      auto assignment = TaskRunner::AssignmentInState(*state);
      if (!assignment.ok()) {
        // Not adopted: what it left is cleaned up below as no task's.
        LOG_ERROR("msg=\"task state unreadable\" dir={} error=\"{}\"", entry.path().string(),
                  assignment.status().ToString());
        continue;
      }
      std::string id = assignment->task_id();
      known.insert(id);
      runners_[id] = std::make_unique<TaskRunner>(*node_, std::move(assignment).value(), /*adopt=*/true);
    }
    // Containers and namespaces no task claims (a crash between making and recording them).
    if (auto ids = runtime_->List(); ids.ok()) {
      for (const auto& id : *ids) {
        if (!known.count(id.substr(0, 32))) runtime_->Delete(id);
      }
    }
    if (auto ids = network_->List(); ids.ok()) {
      for (const auto& id : *ids) {
        if (!known.count(id.substr(0, 32))) network_->Detach(id);
      }
    }
    // Specs holding secrets ("<task id>-<container>.json") of tasks that are gone.
    for (const auto& entry : fs::directory_iterator(node_->private_specs_dir, ec)) {
      std::error_code removed;
      if (!known.count(entry.path().filename().string().substr(0, 32))) fs::remove(entry.path(), removed);
    }
  }

  void Loop() {
    int64_t after = 0;
    for (;;) {
      {
        MutexLock lock(mu_);
        if (stopping_) return;
      }
      auto answer = server_.PollTasks(node_id_, after, kPollSeconds);
      if (!answer.ok()) {
        {
          MutexLock lock(mu_);
          if (stopping_) return;
        }
        LOG_WARN("msg=\"task poll failed\" error=\"{}\"", answer.status().ToString());
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      after = answer->revision;
      // Names first: a task this answer stops leaves its VPC's records before its SIGTERM.
      if (node_->vpc_dns) node_->vpc_dns->Replace(std::move(answer->vpc_dns));
      Reconcile(answer->assignments);
      SubmitTables(TablesFor(*answer));
      CollectImages();
    }
  }

  // What the node's tables should hold after an answer: the awsvpc ENIs' security groups
  // (network/firewall.h) and their way out of their VPCs (network/egress.h).
  struct TablePlan {
    FirewallPlan firewall;
    EgressPlan egress;
    std::set<std::string> routed_out;  // subnet bridges whose route table sends 0.0.0.0/0 out
    // What each table holds, by task ARN and ENI address: a task that takes a leaving one's
    // address (still in the tables, or kept there, TablesLoop) waits for its own plan.
    std::set<std::pair<std::string, std::string>> firewall_keys;
    std::set<std::pair<std::string, std::string>> egress_keys;
  };

  TablePlan TablesFor(const model::TaskAssignments& answer) {
    TablePlan plan;
    plan.firewall.security = answer.security;
    plan.egress.server = ServerFrontTarget();
    plan.egress.metadata_ports.push_back(node_->metadata_server.Port("127.0.0.1"));
    for (const auto& a : answer.assignments) {
      if (!a.eni || model::TaskRecord(a.task).stopped() || finished_.count(a.task_id())) continue;
      std::string bridge = BridgeNameFor(a.eni->subnet_id);
      plan.firewall.enis.push_back(FirewallEni{a.eni->ip, a.eni->gateway, a.eni->security_groups, bridge});
      plan.firewall_keys.emplace(a.task_arn, a.eni->ip);
      if (a.eni->vpc_id.empty()) continue;
      if (a.eni->egress) plan.routed_out.insert(bridge);
      EgressEni eni{bridge, a.eni->ip, a.eni->outside_address, a.eni->public_ip, VpcReplyMark(a.eni->vpc_id),
                    a.eni->gateway, a.eni->dns_server, VpcConntrackZone(a.eni->vpc_id)};
      for (const auto& e : a.eni->endpoints) {
        // Every interface of every endpoint (their names answer each), not only the one dialled.
        std::vector<std::string> all = e.addresses.empty() ? std::vector<std::string>{e.address} : e.addresses;
        for (const std::string& address : all) {
          eni.endpoints.push_back(address);
          eni.endpoint_ids[address] = e.vpc_endpoint_id;
          if (e.admitted) eni.admitted_endpoints.push_back(address);
        }
      }
      eni.vpc_route_table = model::VpcRouteTable(a.eni->vpc_id);
      plan.egress.enis.push_back(std::move(eni));
      plan.egress.metadata_ports.push_back(node_->metadata_server.Port(ListenAddress(a.eni->gateway, bridge)));
      plan.egress_keys.emplace(a.task_arn, a.eni->ip);
    }
    return plan;
  }

  // Where the server's front (network/egress.h) sends a task's connection: the server's own
  // address when it is an IPv4 literal; none otherwise (tasks then reach no server).
  std::optional<ServerFront> ServerFrontTarget() const {
    in_addr a{};
    int port = std::atoi(options_.server.port.c_str());
    if (inet_pton(AF_INET, options_.server.host.c_str(), &a) != 1 || port <= 0 || port > 65535) return std::nullopt;
    return ServerFront{options_.server.host, static_cast<uint16_t>(port)};
  }

  // The tables are written on a thread of their own, newest plan first (an older one not yet
  // applied is dropped): the poll loop goes back to the server at once, so a task placed while
  // nft writes the previous change (a stopped task's ENI leaving) reaches its runner without
  // waiting for it. A runner starts its containers once EnforcedEnis holds its ENI.
  void SubmitTables(TablePlan plan) EXCLUDES(tables_mu_) {
    MutexLock lock(tables_mu_);
    pending_tables_ = std::move(plan);
    tables_cv_.SignalAll();
  }

  // A plan without ENIs, after one with some, is applied kIdleTablesAfter later unless a newer
  // plan comes first: the next task placed meanwhile (a service's replacement, the next of a
  // batch) is then a few set and map elements in the tables, not both tables removed and
  // written whole again (four nft runs beside its runc create, which its start waited for).
  // What is in force is told at once all the same: EnforcedEnis and the egress keys drop the
  // leaving ENIs, and they are keyed by task ARN, so a task that takes one's address waits for
  // its own plan. Meanwhile the leaving ENIs' elements stay in the tables: a new interface at
  // one's address (on its bridge) matches them until that plan replaces them.
  void TablesLoop() EXCLUDES(tables_mu_) {
    std::optional<TablePlan> last;     // the plan in force, for a table to be written again
    std::optional<TablePlan> put_off;  // a plan without ENIs, applied at put_off_until
    auto put_off_until = std::chrono::steady_clock::now();
    bool holds_enis = false;  // the tables as applied
    for (;;) {
      std::optional<TablePlan> plan;
      std::set<std::string> gone;
      bool due = false, stopping = false;
      {
        MutexLock lock(tables_mu_);
        while (!pending_tables_ && tables_gone_.empty() && !tables_stopping_ && !due) {
          if (put_off) {
            due = !tables_cv_.WaitUntil(tables_mu_, put_off_until);
          } else {
            tables_cv_.Wait(tables_mu_);
          }
        }
        stopping = tables_stopping_;
        plan.swap(pending_tables_);
        gone.swap(tables_gone_);
      }
      if (stopping) {
        // The plan put off is applied before the agent goes, not left for the next one: while
        // tasks still run, the tables stay, and must not hold the ENIs that left. (A newer
        // plan, unapplied, supersedes it; it is dropped as before.)
        if (put_off && !plan) ApplyTables(*put_off);
        return;
      }
      // Tables someone else deleted: the ones the tables as applied hold are written again.
      if (!gone.empty() && ForgetGoneTables(gone) && last) ApplyTables(*last);
      if (!plan) {
        if (due && put_off) {
          ApplyTables(*put_off);
          last = std::move(put_off);
          put_off.reset();
          holds_enis = false;
        }
        continue;
      }
      const bool none = plan->firewall.enis.empty() && plan->egress.enis.empty();
      if (none && holds_enis) {
        enforced_enis_.SetKeys({});
        egress_enis_.SetKeys({});
        if (!put_off) put_off_until = std::chrono::steady_clock::now() + kIdleTablesAfter;
        put_off = std::move(plan);
        continue;
      }
      put_off.reset();
      ApplyTables(*plan);
      holds_enis = !none;
      last = std::move(plan);
    }
  }

  // On the table watch's thread: tables deleted by a transaction not ours to judge here.
  void TablesGone(const std::set<std::string>& gone) EXCLUDES(tables_mu_) {
    MutexLock lock(tables_mu_);
    tables_gone_.insert(gone.begin(), gone.end());
    tables_cv_.SignalAll();
  }

  // The gone tables the plan in force holds are written again by the next Apply (the VPC
  // table at once); one the node removed itself (no ENI left) stays gone. Whether any was.
  bool ForgetGoneTables(const std::set<std::string>& gone) {
    std::string restored;
    if (gone.count(firewall_->table()) && firewall_->holds_table()) {
      firewall_->Forget();
      restored += " " + firewall_->table();
    }
    if ((gone.count(egress_->table()) || gone.count(egress_->ports_table())) && egress_->holds_table()) {
      egress_->Forget();
      restored += " " + egress_->table();
    }
    const bool apply = !restored.empty();
    if (gone.count(network_->vpc_table())) {
      auto written = network_->RestoreVpcTable();
      if (!written.ok()) {
        LOG_WARN("msg=\"VPC table not written again\" error=\"{}\"", written.status().ToString());
      } else if (*written) {
        restored += " " + network_->vpc_table();
      }
    }
    if (!restored.empty()) {
      LOG_WARN("msg=\"nft tables removed or changed by someone else: writing them again\" tables=\"{}\"", restored.substr(1));
    }
    return apply;
  }

  // A failure is logged and tried again with the next answer, the previous rules staying in
  // force meanwhile.
  void ApplyTables(const TablePlan& plan) {
    auto now = std::chrono::steady_clock::now();
    if (now - last_firewall_refresh_ > kFirewallRefresh) {
      firewall_->Forget();
      egress_->Forget();
      last_firewall_refresh_ = now;
    }
    Status groups = firewall_->Apply(plan.firewall);
    if (!groups.ok()) LOG_WARN("msg=\"security groups not applied\" error=\"{}\"", groups.ToString());
    // A route change reaches running tasks.
    if (Status st = network_->SetSubnetEgress(plan.routed_out); !st.ok()) {
      LOG_WARN("msg=\"subnet egress not applied\" error=\"{}\"", st.ToString());
    }
    if (Status st = egress_->Apply(plan.egress); !st.ok()) {
      LOG_WARN("msg=\"VPC egress not applied\" error=\"{}\"", st.ToString());
    } else {
      egress_enis_.SetKeys(plan.egress_keys);
    }
    // Last: a runner waiting for its ENI pulls through the task's network next, which
    // the egress table must already let out (or time out).
    if (groups.ok()) enforced_enis_.SetKeys(plan.firewall_keys);
  }

  // Hourly: images no running task uses are removed, with their layers.
  void CollectImages() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_image_collect_ < kImageCleanupAge) return;
    last_image_collect_ = now;
    std::set<std::string> in_use;
    for (const auto& [_, runner] : runners_) in_use.merge(runner->ImagesInUse());
    Status st = images_->Collect(in_use);
    if (!st.ok()) LOG_WARN("msg=\"image cleanup failed\" error=\"{}\"", st.ToString());
  }

  void Reconcile(const std::vector<model::TaskAssignment>& assignments) {
    std::set<std::string> listed;
    for (const auto& assignment : assignments) {
      std::string id = assignment.task_id();
      listed.insert(id);
      auto it = runners_.find(id);
      if (it != runners_.end()) {
        it->second->Update(assignment);
      } else if (!model::TaskRecord(assignment.task).stopped() && !finished_.count(id)) {
        runners_[id] = std::make_unique<TaskRunner>(*node_, assignment, /*adopt=*/false);
      }
    }
    // A task this node finished may still be listed by an answer computed before its
    // STOPPED report landed: it must never be started again.
    for (auto it = finished_.begin(); it != finished_.end();) {
      it = listed.count(*it) ? std::next(it) : finished_.erase(it);
    }
    for (auto it = runners_.begin(); it != runners_.end();) {
      if (it->second->Finished()) {
        finished_.insert(it->first);
        it = runners_.erase(it);
        continue;
      }
      if (!listed.count(it->first)) it->second->StopLocally("The task is no longer known to the server");
      ++it;
    }
  }

  const AgentOptions options_;
  ServerClient server_;
  std::string data_dir_;
  std::string node_id_;
  std::string container_instance_arn_;
  std::unique_ptr<ImageStore> images_;
  std::unique_ptr<ContainerRuntime> runtime_;
  SystemClock clock_;
  ProcessRunner process_runner_;
  // The node's nft runs, recorded so that table_watch_ tells its transactions from anyone
  // else's (net/nft_runs.h): every writer of a watched table runs through nft_runner_.
  net::NftRuns nft_runs_{clock_};
  net::NftRunRecorder nft_runner_{process_runner_, nft_runs_};
  std::unique_ptr<Network> network_;
  std::unique_ptr<Firewall> firewall_;  // made by Init; used by the tables thread (and Stop after it)
  EnforcedEnis enforced_enis_;           // what firewall_ holds: task ARN, ENI address
  EnforcedEnis egress_enis_;             // what egress_ holds: task ARN, ENI address
  std::unique_ptr<Egress> egress_;      // like firewall_
  std::chrono::steady_clock::time_point last_firewall_refresh_ = std::chrono::steady_clock::now();  // likewise
  OverlayRootfs rootfs_;
  // Tasks' execution role sessions, one per task: image pulls, secrets, FARGATE's awslogs.
  ExecutionRoleSessions execution_sessions_{
      clock_, [this](const std::string& task_arn) { return server_.TaskRoleCredentials(task_arn, "execution"); }};
  ExecutionRoleClient execution_role_{server_, execution_sessions_};  // tasks' secrets
  std::unique_ptr<LogShipper> logs_;
  std::unique_ptr<MetadataDirectory> metadata_;
  std::unique_ptr<MetadataServer> metadata_server_;
  std::unique_ptr<NodeContext> node_;
  std::map<std::string, std::unique_ptr<TaskRunner>> runners_;  // used by the loop thread (and Stop after it)
  std::set<std::string> finished_;  // tasks run to STOPPED here, while the server still lists them
  std::thread loop_;
  std::thread tables_;  // runs TablesLoop()
  std::chrono::steady_clock::time_point last_image_collect_ = std::chrono::steady_clock::now();

  // Protected by mu_.
  Mutex mu_;
  bool stopping_ GUARDED_BY(mu_) = false;

  // Protected by tables_mu_: the newest plan not yet applied.
  Mutex tables_mu_;
  CondVar tables_cv_;  // signalled on a new plan and on stopping
  std::optional<TablePlan> pending_tables_ GUARDED_BY(tables_mu_);
  std::set<std::string> tables_gone_ GUARDED_BY(tables_mu_);  // from table_watch_, not yet written again
  bool tables_stopping_ GUARDED_BY(tables_mu_) = false;
  std::unique_ptr<net::NftTableWatch> table_watch_;  // made by Init, after tables_; reset by Stop first
};

}  // namespace

Result<std::unique_ptr<Agent>> Agent::Start(AgentOptions options) {
  auto agent = std::make_unique<AgentImpl>(std::move(options));
  RETURN_IF_ERROR(agent->Init());
  return std::unique_ptr<Agent>(std::move(agent));
}

}  // namespace wharf::agent
