#include "agent/task_runner.h"

#include <poll.h>
#include <sys/eventfd.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "agent/image/reference.h"
#include "agent/pull_path.h"
#include "agent/snapshot/overlay.h"
#include "agent/task_files.h"
#include "agent/runtime/oci_spec.h"
#include "base/clock.h"
#include "base/logging.h"
#include "base/random.h"
#include "model/json.h"

namespace wharf::agent {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// tasks/<id>/state.json: what the task was assigned and what was made for it.
constexpr std::string_view kStateAssignment = "assignment";
// How long a container waits for its ENI's security groups to be in force before the task
// fails (the agent retries a failed Apply on every answer of the server).
constexpr std::chrono::seconds kSecurityGroupsTimeout{30};
// An agent before the typed assignment feed kept the server's record here, "_wharf" and all.
constexpr std::string_view kStateLegacyTaskRecord = "task";

bool WriteFile(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = ::close(fd) == 0 && done == text.size();
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

// `base`, but the registry of `image` is pulled with `credentials` (repositoryCredentials),
// and the tag resolved at the registry every time, so that the credentials decide.
PullOptions WithRegistryCredentials(const PullOptions& base, const std::string& image,
                                    const RegistryCredentials& credentials) {
  PullOptions pull = base;
  auto ref = ParseImageReference(image);
  std::string registry = ref.ok() ? ref->registry : "";
  auto others = base.credentials;
  pull.credentials = [registry, credentials, others](const std::string& r) -> Result<std::optional<RegistryCredentials>> {
    if (r == registry) return std::optional<RegistryCredentials>(credentials);
    if (others) return others(r);
    return std::optional<RegistryCredentials>();
  };
  pull.policy = PullPolicy::kAlways;
  return pull;
}

}  // namespace

// Container::exit_fd before AwaitChange asks the runtime, and after a monitor that exited
// without its container (the container is polled from then on).
constexpr int kNoDescriptorYet = -1;
constexpr int kNoDescriptor = -2;

struct TaskRunner::Container {
  std::string name;
  json::object definition;  // after overrides
  std::string runtime_id;   // "<task id>-<name>"
  std::string dir;          // tasks/<id>/containers/<name>
  bool essential = true;
  bool created = false, started = false, stopped = false;
  std::optional<int> exit_code;
  std::string reason;
  std::string image_digest;
  std::string rootfs;       // mounted (MountRootfs)
  json::object image_config;  // its image's, read as the rootfs is mounted
  std::string netns;        // bridge mode: its own namespace
  std::string ip;           // its address (awsvpc: the task's)
  json::array bindings;     // networkBindings
  bool reported_running = false, reported_stopped = false;
  std::string token;        // its metadata endpoint path, /v4/<token>
  bool ships_logs = false;  // awslogs
  ContainerSecrets secrets;  // fetched with the execution role; never saved
  std::unique_ptr<HealthMonitor> health;
  std::chrono::system_clock::time_point created_at, started_at;
  // Polls readable once its monitor exits (ContainerRuntime::ExitDescriptor); negative: none.
  int exit_fd = kNoDescriptorYet;

  ~Container() {
    if (exit_fd >= 0) ::close(exit_fd);
  }
};

struct TaskRunner::PendingAttachment {
  Container* container = nullptr;  // bridge: the container it is for; nullptr: the task (awsvpc)
  std::string ip;                  // the address it is to get
  std::future<AttachmentNamespace> made;  // an empty one: Attach failed before making it
  std::optional<AttachmentNamespace> taken;
  std::future<Result<NetworkAttachment>> attached;
};

TaskRunner::TaskRunner(NodeContext& node, model::TaskAssignment assignment, bool adopt)
    : node_(node),
      task_id_(assignment.task_id()),
      dir_(node.tasks_dir + "/" + task_id_),
      adopt_(adopt),
      network_mode_(assignment.network_mode),
      eni_(assignment.eni),
      definition_(assignment.task_definition),
      assignment_(std::move(assignment)) {
  desired_stopped_ = assignment_.desired_status == "STOPPED";
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { Run(); });
}

TaskRunner::~TaskRunner() {
  Detach();
  if (thread_.joinable()) thread_.join();
  if (pending_report_.joinable()) pending_report_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void TaskRunner::Wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof one);
  (void)n;  // the counter is full (never, in practice): the runner is woken already
}

void TaskRunner::Update(const model::TaskAssignment& assignment) {
  MutexLock lock(mu_);
  assignment_ = assignment;
  documents_->SetTask(assignment_.task, definition_);
  if (assignment.desired_status == "STOPPED" && !desired_stopped_) {
    desired_stopped_ = true;
    stop_reason_ = model::TaskRecord(assignment.task).stopped_reason();
    if (stop_reason_.empty()) stop_reason_ = "Task stopped by user";
    cv_.SignalAll();
    Wake();
  }
}

void TaskRunner::StopLocally(const std::string& reason) {
  MutexLock lock(mu_);
  if (!desired_stopped_) {
    desired_stopped_ = true;
    stop_reason_ = reason;
  }
  cv_.SignalAll();
  Wake();
}

std::set<std::string> TaskRunner::ImagesInUse() const {
  MutexLock lock(mu_);
  return images_in_use_;
}

bool TaskRunner::Finished() const {
  MutexLock lock(mu_);
  return finished_;
}

bool TaskRunner::Released() const {
  MutexLock lock(mu_);
  return released_ || finished_;
}

void TaskRunner::Join() {
  if (thread_.joinable()) thread_.join();
}

void TaskRunner::Detach() {
  MutexLock lock(mu_);
  detached_ = true;
  cv_.SignalAll();
  Wake();
}

bool TaskRunner::ShouldStop() const {
  MutexLock lock(mu_);
  return desired_stopped_ || detached_;
}

bool TaskRunner::Sleep(std::chrono::milliseconds d) {
  auto deadline = std::chrono::steady_clock::now() + d;
  MutexLock lock(mu_);
  while (!detached_ && !desired_stopped_ && cv_.WaitUntil(mu_, deadline)) {
  }
  return !detached_;
}

Result<model::TaskAssignment> TaskRunner::AssignmentInState(const json::object& state) {
  if (Has(state, kStateAssignment)) return model::TaskAssignment::FromJson(GetObject(state, kStateAssignment));
  // Checked as if it had come over the wire.
  const json::object& record = GetObject(state, kStateLegacyTaskRecord);
  return model::TaskAssignment::FromJson(model::AssignmentOf(model::TaskRecord(record)).ToJson());
}

Subnet TaskRunner::TaskSubnet() const {
  return Subnet{eni_->subnet_id, eni_->cidr, BridgeNameFor(eni_->subnet_id), eni_->vpc_id, eni_->egress};
}

double TaskRunner::NowSeconds() const { return EpochSeconds(node_.clock.Now()); }

void TaskRunner::Run() {
  {
    MutexLock lock(mu_);
    documents_->SetTask(assignment_.task, definition_);
    if (eni_) documents_->SetEni(eni_->ip, eni_->cidr);
  }
  std::error_code ec;
  fs::create_directories(dir_ + "/containers", ec);
  bool adopted = adopt_ && LoadState();
  if (adopted && !ShouldStop()) {
    // The previous agent may have stopped between starting the containers and the server
    // taking its RUNNING report: said again, or the server counts the task PENDING for ever
    // (a deployment waiting on it never completes). The server ignores a repeat.
    Report("RUNNING", "");
  }
  // The subnet this task's network lives on, so the node can take it down when idle.
  if (network_mode_ == "bridge") node_.resources.UseSubnet(node_.bridge_subnet);
  if (eni_) node_.resources.UseSubnet(TaskSubnet());
  if (adopted && eni_) {
    // This agent's network knows a subnet only once it is set up here: without it the VPC
    // table (reply marks, zones) would not come back after someone deletes it. An older
    // agent's port gets its fenced name.
    if (Status st = node_.network.AdoptEni(task_id_, TaskSubnet()); !st.ok()) {
      LOG_WARN("msg=\"adopted task's subnet or port not set up again\" task={} subnet={} error=\"{}\"", task_id_,
               eni_->subnet_id, st.ToString());
    }
  }
  if (!adopted) {
    MutexLock lock(mu_);
    const json::object& overrides = model::TaskRecord(assignment_.task).overrides();
    for (const auto& v : GetArray(definition_, "containerDefinitions")) {
      auto c = std::make_unique<Container>();
      c->definition = WithOverrides(v.get_object(), overrides);
      c->name = GetString(c->definition, "name");
      c->runtime_id = task_id_ + "-" + c->name;
      c->dir = dir_ + "/containers/" + c->name;
      auto essential = c->definition.find("essential");
      c->essential = essential == c->definition.end() || !essential->value().is_bool() || essential->value().get_bool();
      containers_.push_back(std::move(c));
    }
  }
  if (!adopted) {
    SaveState();
    Status launched = ShouldStop() ? Status::FailedPrecondition("stopped before it started") : Launch();
    if (!launched.ok()) {
      bool detached;
      {
        MutexLock lock(mu_);
        detached = detached_;
      }
      if (detached) return;  // the agent is stopping: a restarted one picks the task up
      LOG_WARN("msg=\"task failed to start\" task={} error=\"{}\"", task_id_, launched.ToString());
      StopTask(launched.message());
      return;
    }
  }
  Watch();
}

Status TaskRunner::Launch() {
  Status launched = LaunchContainers();
  // A failed launch waits for what it began before Cleanup undoes it.
  if (!attachments_.empty()) {
    Status attached = AwaitNetwork();
    if (launched.ok()) launched = attached;
  }
  if (!before_start_.empty()) {
    Status ready = AwaitBeforeStart();
    if (launched.ok()) launched = ready;
  }
  return launched;
}

Status TaskRunner::AwaitBeforeStart() {
  Status first;
  for (auto& b : before_start_) {
    Status done = b.done.get();
    if (done.ok() || !first.ok()) continue;
    first = done;
    if (b.container) b.container->reason = done.message();
  }
  before_start_.clear();
  return first;
}

void TaskRunner::BeginAttach(const std::string& id, const Subnet& subnet, std::vector<PortMapping> ports,
                             const std::string& requested_ip, Container* container) {
  auto p = std::make_unique<PendingAttachment>();
  p->container = container;
  p->ip = requested_ip;
  // The namespace is told through a promise; an Attach that failed before making it tells
  // an empty one, and its error is the launch's.
  auto made = std::make_shared<std::promise<AttachmentNamespace>>();
  p->made = made->get_future();
  p->attached = std::async(std::launch::async, [this, id, subnet, ports = std::move(ports), requested_ip,
                                                made]() -> Result<NetworkAttachment> {
    bool told = false;
    auto attached = node_.network.Attach(id, subnet, ports, requested_ip, [&](const AttachmentNamespace& ns) {
      told = true;
      made->set_value(ns);
    });
    if (!told) made->set_value({});
    return attached;
  });
  attachments_.push_back(std::move(p));
}

Result<AttachmentNamespace> TaskRunner::AwaitNamespace(PendingAttachment& p) {
  if (p.taken) return *p.taken;
  if (!p.made.valid()) return Status::FailedPrecondition("the network attachment failed");
  AttachmentNamespace ns = p.made.get();
  if (ns.netns_path.empty()) {
    Result<NetworkAttachment> attached = p.attached.get();
    return attached.ok() ? Status::Internal("the network attachment told no namespace") : attached.status();
  }
  p.taken = ns;
  if (p.ip.empty()) p.ip = ns.ip;
  if (p.container) {
    p.container->netns = ns.netns_path;
    p.container->ip = ns.ip;
    metadata_address_ = ns.gateway;
    return ns;
  }
  task_netns_ = ns.netns_path;
  // In a VPC the gateway address may be another VPC's too: the endpoint listens on the bridge.
  metadata_address_ = ListenAddress(ns.gateway, eni_->vpc_id.empty() ? "" : BridgeNameFor(eni_->subnet_id));
  for (auto& c : containers_) {
    c->netns = ns.netns_path;
    c->ip = eni_->ip;
  }
  return ns;
}

Status TaskRunner::AttachTaskNetwork() {
  BeginAttach(task_id_, TaskSubnet(), {}, eni_->ip, nullptr);
  return AwaitNamespace(*attachments_.back()).status();
}

// The VPC resolver's address on the task's subnet bridge, served by this node; the task's
// resolv.conf names it. Without it (no resolver on the node, the VPC's DNS support off, or
// a failure, logged) the task keeps the host's resolvers, as before VPCs had one.
void TaskRunner::ServeVpcDns() {
  if (!eni_ || eni_->dns_server.empty() || eni_->vpc_id.empty() || !node_.vpc_dns) return;
  const std::string bridge = BridgeNameFor(eni_->subnet_id);
  Status served = node_.network.AddBridgeAddress(bridge, eni_->dns_server);
  if (served.ok()) served = node_.vpc_dns->Serve(eni_->vpc_id, eni_->dns_server, bridge);
  if (!served.ok()) {
    LOG_WARN("msg=\"VPC resolver not served\" task={} error=\"{}\"", task_id_, served.ToString());
    return;
  }
  dns_servers_ = {eni_->dns_server};
}

Status TaskRunner::AwaitNetwork() {
  Status first;
  for (auto& p : attachments_) {
    // Taken even when another failed, so that Cleanup finds what to detach.
    Status taken = AwaitNamespace(*p).status();
    if (!p->attached.valid()) {
      if (first.ok()) first = taken;
      continue;
    }
    Result<NetworkAttachment> attached = p->attached.get();
    if (!attached.ok()) {
      if (first.ok()) first = attached.status();
    } else if (attached->ip != p->ip && first.ok()) {
      first = Status::Internal("the interface got " + attached->ip + ", not the address it was given, " + p->ip);
    }
  }
  attachments_.clear();
  return first;
}

Status TaskRunner::AwaitSecurityGroups() {
  if (!eni_ || !node_.enforced_enis || network_mode_ != "awsvpc") return Status::OK();
  std::string arn;
  {
    MutexLock lock(mu_);
    arn = assignment_.task_arn;
  }
  // The agent applies the table on the answer that brought the task, while the task pulls and
  // its namespace is made: usually in force already.
  bool enforced = node_.enforced_enis->Wait(arn, eni_->ip,
                                            std::chrono::steady_clock::now() + kSecurityGroupsTimeout,
                                            [this] { return ShouldStop(); });
  if (enforced) return Status::OK();
  if (ShouldStop()) return Status::FailedPrecondition("stopped while starting");
  return Status::Unavailable("the task's security groups were not in force after " +
                             std::to_string(kSecurityGroupsTimeout.count()) + " s");
}

Status TaskRunner::AwaitEgress() {
  if (!eni_ || eni_->vpc_id.empty() || !node_.egress_enis || network_mode_ != "awsvpc") return Status::OK();
  std::string arn;
  {
    MutexLock lock(mu_);
    arn = assignment_.task_arn;
  }
  if (node_.egress_enis->Wait(arn, eni_->ip, std::chrono::steady_clock::now() + kSecurityGroupsTimeout,
                              [this] { return ShouldStop(); })) {
    return Status::OK();
  }
  if (ShouldStop()) return Status::FailedPrecondition("stopped while starting");
  return Status::Unavailable("the task's VPC egress was not in force after " +
                             std::to_string(kSecurityGroupsTimeout.count()) + " s");
}

Status TaskRunner::LaunchContainers() {
  pull_started_ = NowSeconds();
  // Off the path to RUNNING: the server never moves a task back, so the order of the two
  // reports does not matter.
  pending_report_ = std::thread([this, report = StateReport("PENDING", "")] { Send(report, "PENDING"); });
  PullOptions pull = node_.pull;
  bool fargate = false;
  bool execution_role = false;
  {
    MutexLock lock(mu_);
    const json::object& overrides = model::TaskRecord(assignment_.task).overrides();
    fargate = assignment_.container_instance_id.empty();
    execution_role = !model::TaskRoleArn(definition_, overrides, model::TaskRoleKind::kExecution).empty();
    if (node_.pull_as_execution_role && execution_role) pull = node_.pull_as_execution_role(assignment_.task_arn);
  }
  // A Fargate task in a VPC pulls through its ENI: what its subnet reaches is the server's word,
  // and for the server's registry its own namespace's packets (pull_path.h).
  const bool through_eni = eni_ && !eni_->vpc_id.empty() && fargate && network_mode_ == "awsvpc";
  const bool way_out = through_eni && !eni_->outside_address.empty();
  auto via_task_network = [&](const ImageReference& image) {
    return through_eni && !task_netns_.empty() &&
           PullsThroughTaskNetwork(eni_->pulls_from, way_out, pull.is_ecr && pull.is_ecr(image.registry));
  };
  // As on Fargate: the ENI first, its way out (or none) in force, then the secrets and the pulls
  // through it. Not for a public subnet's task without a public address: it pulls on the node's
  // connection (pull_path.h).
  bool attached = false;
  if (through_eni && (way_out || eni_->pulls_from != "any")) {
    RETURN_IF_ERROR(AttachTaskNetwork());
    RETURN_IF_ERROR(AwaitNetwork());
    RETURN_IF_ERROR(AwaitSecurityGroups());
    RETURN_IF_ERROR(AwaitEgress());
    attached = true;
  }
  RETURN_IF_ERROR(FetchExecutionResources());
  std::map<std::string, Image> images;
  for (auto& c : containers_) {
    std::string ref = GetString(c->definition, "image");
    if (images.count(ref)) continue;
    PullOptions options = c->secrets.registry ? WithRegistryCredentials(pull, ref, *c->secrets.registry) : pull;
    auto parsed = ParseImageReference(ref);
    const bool via_task = parsed.ok() && via_task_network(*parsed);
    if (via_task) {
      // With an execution role, the ECR token goes the pull's way too (GetAuthorizationToken,
      // ecr.api's endpoint or the front).
      std::string task_arn;
      {
        MutexLock lock(mu_);
        task_arn = assignment_.task_arn;
      }
      options = ThroughTaskNetwork(options, task_netns_, PullAddress(eni_->pulls_from, eni_->EndpointAddress("ecr.dkr")),
                                   execution_role ? TaskCalls() : nullptr, task_arn, node_.region);
    } else if (through_eni && parsed.ok()) {
      c->reason = UnreachedRegistryReason(eni_->pulls_from, *parsed, pull.is_ecr && pull.is_ecr(parsed->registry));
      if (!c->reason.empty()) return Status::NotFound(c->reason);
    }
    auto dropped_dial = [&](const Status& st) {
      return via_task && st.IsUnavailable() && st.message().find("connect") != std::string::npos;
    };
    auto image = node_.images.Pull(ref, options);
    // Retried as containerd does: the node's tables may still hold an earlier task's ENI at this
    // address (its security groups count as in force for the new one).
    for (int attempt = 1; attempt < kTaskNetworkDialAttempts && !image.ok() && dropped_dial(image.status()); ++attempt) {
      image = node_.images.Pull(ref, options);
    }
    if (!image.ok()) {
      // A dial the task's network dropped: Fargate's words for it.
      bool dropped = dropped_dial(image.status());
      c->reason = dropped ? UnreachedRegistryReason("", *parsed, false)
                          : "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref " +
                                ref + ": " + image.status().message();
      return Status::NotFound(c->reason);
    }
    images.emplace(ref, std::move(image).value());
  }
  pull_stopped_ = NowSeconds();
  for (auto& c : containers_) {
    c->image_digest = images.at(GetString(c->definition, "image")).manifest_digest;
    MutexLock lock(mu_);
    images_in_use_.insert(c->image_digest);
  }

  // The network is made on other threads while the task's limits, log streams and root
  // filesystems are, then wired by CNI while the containers are created in its namespaces
  // (AwaitNetwork before the first starts).
  if (network_mode_ == "awsvpc") {
    if (!eni_) return Status::FailedPrecondition("an awsvpc task was assigned without its ENI");
    if (!attached) BeginAttach(task_id_, TaskSubnet(), {}, eni_->ip, nullptr);
  } else if (network_mode_ == "bridge") {
    for (auto& c : containers_) {
      std::vector<PortMapping> ports;
      c->bindings = json::array();
      for (const auto& pm : GetArray(c->definition, "portMappings")) {
        const json::object& p = pm.get_object();
        int container_port = static_cast<int>(p.contains("containerPort") && p.at("containerPort").is_int64() ? p.at("containerPort").get_int64() : 0);
        int host_port = static_cast<int>(p.contains("hostPort") && p.at("hostPort").is_int64() ? p.at("hostPort").get_int64() : 0);
        std::string protocol = GetString(p, "protocol", "tcp");
        if (host_port == 0) {
          ASSIGN_OR_RETURN(host_port, node_.resources.ReserveHostPort());
        }
        ports.push_back({host_port, container_port, protocol});
        c->bindings.push_back(json::object{{"bindIP", "0.0.0.0"}, {"containerPort", container_port},
                                           {"hostPort", host_port}, {"protocol", protocol}});
      }
      SaveState();
      // Its address is picked before CNI runs (Network::Attach): the hostname and /etc/hosts
      // written before its creation carry it.
      BeginAttach(c->runtime_id, node_.bridge_subnet, std::move(ports), "", c.get());
    }
  }
  RETURN_IF_ERROR(CreateLogStreams());
  RETURN_IF_ERROR(ApplyTaskSize());
  for (auto& c : containers_) RETURN_IF_ERROR(MountRootfs(*c));
  for (auto& p : attachments_) RETURN_IF_ERROR(AwaitNamespace(*p).status());
  if (metadata_address_.empty()) metadata_address_ = "127.0.0.1";  // host mode
  RETURN_IF_ERROR(node_.metadata_server.Listen(metadata_address_));
  ServeVpcDns();
  RETURN_IF_ERROR(WireCredentials());
  SaveState();

  // Start in dependsOn order: a container starts once what it depends on reached the
  // condition (START: started; COMPLETE: exited; SUCCESS: exited 0; HEALTHY: see below).
  for (;;) {
    if (ShouldStop()) return Status::FailedPrecondition("stopped while starting");
    bool all_started = true, progress = false;
    for (auto& c : containers_) {
      if (c->started) continue;
      all_started = false;
      auto ready = DependenciesMet(*c);
      if (!ready.ok()) {
        c->reason = ready.status().message();
        return Status::FailedPrecondition(c->reason);
      }
      if (!*ready) continue;
      Status started = CreateContainer(*c);
      if (started.ok()) {
        // Bridge: each container's own attachment ("attach <task>-<name>: ..."), whose failure
        // is the launch's, not the container starting's (an awsvpc task's is its first
        // container's: StartCreated).
        Status prepared = network_mode_ == "bridge" ? AwaitNetwork() : Status::OK();
        if (prepared.ok()) prepared = AwaitBeforeStart();
        if (!prepared.ok()) {
          // The launch's own error, as if before any creation: this container was created
          // only because its creation overlapped the wait, so it is reported as never made
          // (no runtimeId, as on main and on Fargate); Cleanup deletes it all the same.
          c->created = false;
          SaveState();
          return prepared;
        }
        started = StartCreated(*c);
      }
      if (!started.ok()) {
        // A create beside an attach that failed fails for the attach's sake (its namespace is
        // taken away as the attach rolls back): the attach's error is the launch's, as above.
        Status network = attachments_.empty() ? Status::OK() : AwaitNetwork();
        if (!network.ok()) {
          c->created = false;
          SaveState();
          return network;
        }
        c->reason = "CannotStartContainerError: " + started.message();
        return Status::FailedPrecondition(c->reason);
      }
      progress = true;
    }
    if (all_started) break;
    if (!progress) {
      PollContainers();
      TickHealth();
      if (!Sleep(std::chrono::milliseconds(50))) return Status::Unavailable("agent stopping");
    }
  }
  if (pending_report_.joinable()) pending_report_.join();
  Report("RUNNING", "");
  return Status::OK();
}

Status TaskRunner::MountRootfs(Container& c) {
  if (!c.rootfs.empty()) return Status::OK();
  std::error_code ec;
  fs::create_directories(c.dir, ec);
  ASSIGN_OR_RETURN(Image image, node_.images.Get(c.image_digest));
  // Writable here even for readonlyRootFilesystem: runc makes the mount points of /proc,
  // /dev and the /etc files first, then remounts the root read-only (the spec's root.readonly).
  ASSIGN_OR_RETURN(c.rootfs, node_.rootfs.Mount(image, c.dir, /*read_only=*/false));
  c.image_config = std::move(image.config);
  return Status::OK();
}

Status TaskRunner::CreateContainer(Container& c) {
  RETURN_IF_ERROR(MountRootfs(c));
  ContainerSpecInput input;
  input.definition = c.definition;
  input.image_config = c.image_config;
  input.rootfs = c.rootfs;
  input.netns_path = c.netns;
  input.hostname = HostnameFor(c.definition, task_id_, c.ip);
  std::string launch_type;
  {
    MutexLock lock(mu_);
    launch_type = model::TaskRecord(assignment_.task).launch_type();
  }
  const std::string& mode = network_mode_;
  input.extra_env = c.secrets.environment;
  for (auto& e : TaskEnvironment(node_.region, launch_type)) input.extra_env.push_back(std::move(e));
  if (c.token.empty()) {
    SecureRandom random;
    c.token = RandomHex(random, 32);
  }
  node_.metadata.Add(c.token, documents_, c.name);
  std::string base_url = node_.metadata_server.BaseUrl(metadata_address_);  // "http://<ip>:<port>/v4/"
  std::string endpoint = base_url.substr(0, base_url.size() - std::min<size_t>(base_url.size(), 4));  // "http://<ip>:<port>"
  input.extra_env.push_back("ECS_CONTAINER_METADATA_URI_V4=" + base_url + c.token);
  input.extra_env.push_back("ECS_AGENT_URI=" + endpoint + "/api/" + c.token);  // task protection
  if (!credentials_id_.empty() && mode == "host") {
    // No 169.254.170.2 in the node's own namespace: the SDKs take a full loopback URI.
    input.extra_env.push_back("AWS_CONTAINER_CREDENTIALS_FULL_URI=" + endpoint + "/v2/credentials/" + credentials_id_);
  } else if (!credentials_id_.empty()) {
    input.extra_env.push_back("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/" + credentials_id_);
  }
  ContainerFiles files{dir_, c.name, input.hostname, mode == "host" ? "" : c.ip, mode, ContainerAddresses(), dns_servers_};
  ASSIGN_OR_RETURN(input.mounts, TaskMounts(files, definition_, c.definition));
  input.cgroups_path = "/wharf/" + task_id_ + "/" + c.name;
  input.privileged = c.definition.contains("privileged") && c.definition.at("privileged").is_bool() &&
                     c.definition.at("privileged").get_bool();
  ASSIGN_OR_RETURN(json::object spec, BuildOciSpec(input));
  RETURN_IF_ERROR(WriteSpec(c, json::serialize(spec)));
  c.created = true;
  c.created_at = node_.clock.Now();
  SaveState();
  return node_.runtime.Create(c.runtime_id, c.dir, c.dir + "/container.log");
}

Status TaskRunner::StartCreated(Container& c) {
  RETURN_IF_ERROR(AwaitNetwork());  // the namespace is wired before anything runs in it
  RETURN_IF_ERROR(AwaitSecurityGroups());
  RETURN_IF_ERROR(AwaitEgress());  // its 127/8 guard (route_localnet) too: fails closed
  RETURN_IF_ERROR(node_.runtime.Start(c.runtime_id));
  // Only a container that started ships its logs: one that never did has no lines, and its
  // follower (a FARGATE stream its role may not make) would hold its task's stop (Finish).
  // The file is read from its start, so nothing written before this is lost.
  ShipLogs(c);
  c.started = true;
  c.started_at = node_.clock.Now();
  StartHealthMonitor(c);
  SaveState();
  PublishFacts(c);
  return Status::OK();
}

void TaskRunner::Watch() {
  for (;;) {
    PollContainers();
    ReportContainerChanges();
    TickHealth();
    TickUsage();
    std::string reason;
    for (auto& c : containers_) {
      if (c->essential && c->stopped) reason = "Essential container in task exited";
    }
    {
      MutexLock lock(mu_);
      if (detached_) return;
      if (desired_stopped_) reason = stop_reason_.empty() ? "Task stopped by user" : stop_reason_;
    }
    if (!reason.empty()) return StopTask(reason);
    if (!AwaitChange()) return;
  }
}

// StopTask's wait: until a container still running exits (its monitor's pidfd), the agent
// detaches, or `until` (the next SIGKILL is due); 50 ms at most while a container has no
// descriptor. 1,000 tasks stopping at once, each polling every 50 ms (and sending SIGKILL
// again every 50 ms past its stopTimeout), took the load average of 2 cores to 459.
void TaskRunner::AwaitExit(std::chrono::system_clock::time_point until) {
  std::vector<pollfd> fds;
  if (wake_fd_ >= 0) fds.push_back({wake_fd_, POLLIN, 0});
  bool polling = wake_fd_ < 0;
  for (auto& c : containers_) {
    if (!c->started || c->stopped) continue;
    if (c->exit_fd == kNoDescriptorYet) c->exit_fd = node_.runtime.ExitDescriptor(c->runtime_id);
    if (c->exit_fd < 0) {
      polling = true;
    } else {
      fds.push_back({c->exit_fd, POLLIN, 0});
    }
  }
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - node_.clock.Now()) + std::chrono::milliseconds(1);
  wait = std::clamp(wait, std::chrono::milliseconds(0), std::chrono::milliseconds(polling ? 50 : 1000));
  DrainWake(fds, ::poll(fds.data(), fds.size(), static_cast<int>(wait.count())));
}

// Reads the wake-up eventfd once poll found it readable (it stays so until read; the caller
// looks at desired_stopped_ and detached_ after).
void TaskRunner::DrainWake(const std::vector<pollfd>& fds, int polled) {
  if (polled > 0 && wake_fd_ >= 0 && !fds.empty() && fds[0].fd == wake_fd_ && (fds[0].revents & POLLIN)) {
    uint64_t count = 0;
    ssize_t r = ::read(wake_fd_, &count, sizeof count);
    (void)r;
  }
}

// Idle tasks cost the node nothing between events: the runner sleeps in poll(2) on its
// containers' monitors (pidfds) and its wake-up eventfd until one exits, it is told to stop,
// or a health check or usage report is due. A container without a descriptor (a runtime
// without them, or one not yet started) is polled every 100 ms as before. Polling every
// container every 100 ms cost 0.6 ms of CPU per task per second, and its 10 wake-ups per
// task per second made the load average of a node of 1,000 idle tasks 161 (issue 17).
bool TaskRunner::AwaitChange() {
  constexpr auto kPollEvery = std::chrono::milliseconds(100);
  std::vector<pollfd> fds;
  if (wake_fd_ >= 0) fds.push_back({wake_fd_, POLLIN, 0});
  bool polling = wake_fd_ < 0;
  for (auto& c : containers_) {
    if (!c->created || c->stopped) continue;
    if (c->started && c->exit_fd == kNoDescriptorYet) c->exit_fd = node_.runtime.ExitDescriptor(c->runtime_id);
    if (c->exit_fd < 0) {
      // None (or refused: its monitor exited before it was opened, which the WatchState of
      // the next turn sees): this container is polled.
      polling = true;
      continue;
    }
    fds.push_back({c->exit_fd, POLLIN, 0});
  }
  auto now = node_.clock.Now();
  auto due = now + node_.usage_interval;
  if (usage_sample_) due = std::min(due, usage_sample_->read + node_.usage_interval);
  for (auto& c : containers_) {
    if (c->health && c->started && !c->stopped) due = std::min(due, c->health->next_due());
  }
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - now) + std::chrono::milliseconds(1);
  // The clock is read again every few seconds all the same, should the wall clock jump.
  wait = std::clamp(wait, std::chrono::milliseconds(0),
                    polling ? std::chrono::milliseconds(kPollEvery) : std::chrono::milliseconds(std::chrono::seconds(5)));
  {
    MutexLock lock(mu_);
    if (detached_) return false;
    if (desired_stopped_) return true;
  }
  DrainWake(fds, ::poll(fds.data(), fds.size(), static_cast<int>(wait.count())));
  MutexLock lock(mu_);
  return !detached_;
}

void TaskRunner::StopTask(const std::string& reason) {
  if (pending_report_.joinable()) pending_report_.join();
  // SIGTERM everything still running, then SIGKILL what outlives its stopTimeout.
  auto deadline_of = [this](const Container& c) {
    int seconds = 30;
    if (c.definition.contains("stopTimeout") && c.definition.at("stopTimeout").is_int64()) {
      seconds = static_cast<int>(c.definition.at("stopTimeout").get_int64());
    }
    return node_.clock.Now() + std::chrono::seconds(seconds);
  };
  std::map<std::string, std::chrono::system_clock::time_point> deadlines;
  PollContainers();
  for (auto it = containers_.rbegin(); it != containers_.rend(); ++it) {
    Container& c = **it;
    if (c.started && !c.stopped) {
      node_.runtime.Kill(c.runtime_id, SIGTERM);
      deadlines[c.name] = deadline_of(c);
    }
  }
  Report("STOPPING", reason);
  for (;;) {
    PollContainers();
    bool waiting = false;
    auto now = node_.clock.Now();
    auto next_kill = now + std::chrono::seconds(1);  // once all are killed: wait for them
    for (auto& c : containers_) {
      if (!c->started || c->stopped) continue;
      waiting = true;
      if (now >= deadlines[c->name]) {
        node_.runtime.Kill(c->runtime_id, SIGKILL);
      } else {
        next_kill = std::min(next_kill, deadlines[c->name]);
      }
    }
    if (!waiting) break;
    AwaitExit(next_kill);
    MutexLock lock(mu_);
    if (detached_) return;
  }
  for (auto& c : containers_) {
    if (c->ships_logs) node_.logs.Finish(c->dir + "/container.log");  // every line out before the files go
  }
  if (!task_netns_.empty()) Report("DEPROVISIONING", reason);  // the ENI goes
  Cleanup();
  {
    MutexLock lock(mu_);
    released_ = true;
  }
  for (auto& c : containers_) {
    if (c->reason.empty() && !c->started) c->reason = reason;
  }
  Report("STOPPED", reason);
  {
    // Unreported, the agent stopping: the task's files stay, so that the next agent adopts
    // it, finds its containers gone and reports it STOPPED.
    MutexLock lock(mu_);
    if (detached_) return;
  }
  RemoveTaskDir();
  MutexLock lock(mu_);
  finished_ = true;
}

void TaskRunner::Cleanup() {
  if (!credentials_id_.empty()) node_.metadata.RemoveCredentials(credentials_id_);
  for (auto& c : containers_) {
    if (!c->token.empty()) node_.metadata.Remove(c->token);
    // Whether or not it was recorded as created: a crash between runc create and the record
    // must not leave a container behind (Delete of an absent one is OK).
    Status st = node_.runtime.Delete(c->runtime_id);
    if (!st.ok()) LOG_WARN("msg=\"container delete failed\" container={} error=\"{}\"", c->runtime_id, st.ToString());
    std::error_code ec;
    fs::remove(PrivateSpecPath(*c), ec);  // a container with secrets: its spec
    st = node_.rootfs.Unmount(c->dir);
    if (!st.ok()) LOG_WARN("msg=\"unmount failed\" container={} error=\"{}\"", c->runtime_id, st.ToString());
    // By its fixed id, whatever the state file says: Attach makes the record and namespace
    // (and may run CNI ADD) before the runner records c->netns, so an agent killed in
    // between leaves an adopted runner with none. Detach of an absent id does nothing.
    if (network_mode_ == "bridge") {
      st = node_.network.Detach(c->runtime_id);
      if (!st.ok()) LOG_WARN("msg=\"network detach failed\" container={} error=\"{}\"", c->runtime_id, st.ToString());
    }
    for (const auto& b : c->bindings) {
      node_.resources.ReleaseHostPort(static_cast<int>(b.at("hostPort").to_number<int64_t>()));
    }
  }
  if (network_mode_ == "awsvpc") {  // as above: task_netns_ may be unrecorded
    Status st = node_.network.Detach(task_id_);
    if (!st.ok()) LOG_WARN("msg=\"network detach failed\" task={} error=\"{}\"", task_id_, st.ToString());
  }
  Status st = RemoveCgroup("/wharf/" + task_id_);
  if (!st.ok()) LOG_WARN("msg=\"cgroup removal failed\" task={} error=\"{}\"", task_id_, st.ToString());
}

void TaskRunner::RemoveTaskDir() {
  // Never through a mount: removing files under a live overlay would empty a running
  // container's filesystem. What is still mounted stays for a later agent to clean up.
  for (const auto& c : containers_) {
    if (node_.rootfs.Mounted(c->dir) && !node_.rootfs.Unmount(c->dir).ok()) {
      LOG_ERROR("msg=\"task files kept: a container root is still mounted\" task={} container={}", task_id_, c->name);
      return;
    }
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void TaskRunner::PollContainers() {
  for (auto& c : containers_) {
    if (!c->created || c->stopped) continue;
    bool monitor_exited = false;
    if (c->exit_fd >= 0) {
      // Its monitor lives: so does the container, and there is nothing to read.
      pollfd p{c->exit_fd, POLLIN, 0};
      if (::poll(&p, 1, 0) == 0) continue;
      monitor_exited = true;
    }
    auto state = c->started ? node_.runtime.WatchState(c->runtime_id) : node_.runtime.State(c->runtime_id);
    if (monitor_exited && (!state.ok() || state->status != "stopped")) {
      // A monitor killed under a live container: the descriptor would stay readable.
      ::close(c->exit_fd);
      c->exit_fd = kNoDescriptor;
    }
    if (!state.ok()) {
      if (state.status().IsNotFound() && c->started) {
        c->stopped = true;
        c->reason = "the container's runtime state is gone";
      }
      continue;
    }
    if (state->status == "stopped") {
      c->stopped = true;
      c->exit_code = state->exit_code;
      if (state->oom_killed) c->reason = "OutOfMemoryError: Container killed due to memory usage";
    }
  }
}

void TaskRunner::ReportContainerChanges() {
  bool changed = false;
  for (auto& c : containers_) {
    if (c->stopped && !c->reported_stopped) changed = true;
  }
  if (changed) Report("RUNNING", "");
}

void TaskRunner::Report(const std::string& status, const std::string& reason) {
  Send(StateReport(status, reason), status);
}

json::object TaskRunner::StateReport(const std::string& status, const std::string& reason) {
  std::string cluster;
  {
    MutexLock lock(mu_);
    cluster = model::TaskRecord(assignment_.task).cluster_arn();  // FARGATE tasks of any cluster run here
  }
  json::object in{{"cluster", cluster}, {"task", task_id_}, {"status", status}};
  if (!reason.empty()) in["reason"] = reason.substr(0, 1024);
  json::array changes;
  for (auto& c : containers_) {
    json::object change{{"containerName", c->name}};
    if (c->stopped || status == "STOPPED") {
      change["status"] = "STOPPED";
      if (c->exit_code) change["exitCode"] = *c->exit_code;
      c->reported_stopped = true;
    } else if (c->started) {
      change["status"] = "RUNNING";
    } else {
      change["status"] = "PENDING";
    }
    if (c->created) change["runtimeId"] = c->runtime_id;
    if (!c->image_digest.empty()) change["imageDigest"] = c->image_digest;
    if (!c->reason.empty()) change["reason"] = c->reason.substr(0, 255);
    if (!c->bindings.empty()) change["networkBindings"] = c->bindings;
    changes.push_back(std::move(change));
  }
  in["containers"] = std::move(changes);
  if (pull_started_ > 0) in["pullStartedAt"] = pull_started_;
  if (pull_stopped_ > 0) in["pullStoppedAt"] = pull_stopped_;
  if (status == "STOPPED") in["executionStoppedAt"] = NowSeconds();
  return in;
}

void TaskRunner::Send(const json::object& in, const std::string& status) {
  // The STOPPED report is tried until the server takes it: once it is lost, the server would
  // count the task as alive for ever (its node has forgotten it). The others may be lost:
  // a later report says more.
  const bool final = status == "STOPPED";
  for (int attempt = 0; final || attempt < 5; ++attempt) {
    Status sent = node_.reports.SubmitTaskStateChange(in);
    if (sent.ok()) return;
    LOG_WARN("msg=\"state report failed\" task={} status={} attempt={} error=\"{}\"", task_id_, status,
             attempt + 1, sent.ToString());
    if (!sent.IsUnavailable()) return;
    // Woken only by the agent stopping (a stop request must not turn this into a busy loop).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200 << std::min(attempt, 4));
    MutexLock lock(mu_);
    while (!detached_ && cv_.WaitUntil(mu_, deadline)) {
    }
    if (detached_) return;  // a restarted agent finds the task again
  }
}

void TaskRunner::SaveState() {
  json::object state;
  {
    MutexLock lock(mu_);
    state[kStateAssignment] = assignment_.ToJson();
  }
  json::array containers;
  for (const auto& c : containers_) {
    containers.push_back(json::object{{"name", c->name}, {"definition", c->definition}, {"runtimeId", c->runtime_id},
                                      {"essential", c->essential}, {"created", c->created}, {"started", c->started},
                                      {"imageDigest", c->image_digest}, {"netns", c->netns}, {"ip", c->ip},
                                      {"bindings", c->bindings}, {"token", c->token}});
  }
  state["containers"] = std::move(containers);
  state["taskNetns"] = task_netns_;
  state["metadataAddress"] = metadata_address_;
  state["credentialsId"] = credentials_id_;
  state["pullStartedAt"] = pull_started_;
  state["pullStoppedAt"] = pull_stopped_;
  WriteFile(dir_ + "/state.json", json::serialize(state));
}

bool TaskRunner::LoadState() {
  std::ifstream in(dir_ + "/state.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const json::object& state = v.get_object();
  for (const auto& e : GetArray(state, "containers")) {
    const json::object& o = e.get_object();
    auto c = std::make_unique<Container>();
    c->name = GetString(o, "name");
    c->definition = GetObject(o, "definition");
    c->runtime_id = GetString(o, "runtimeId");
    c->dir = dir_ + "/containers/" + c->name;
    c->essential = o.at("essential").as_bool();
    c->created = o.at("created").as_bool();
    c->started = o.at("started").as_bool();
    c->image_digest = GetString(o, "imageDigest");
    {
      MutexLock lock(mu_);
      if (!c->image_digest.empty()) images_in_use_.insert(c->image_digest);
    }
    c->netns = GetString(o, "netns");
    c->ip = GetString(o, "ip");
    c->bindings = GetArray(o, "bindings");
    c->reported_running = c->started;
    c->token = GetString(o, "token");
    containers_.push_back(std::move(c));
  }
  task_netns_ = GetString(state, "taskNetns");
  metadata_address_ = GetString(state, "metadataAddress");
  credentials_id_ = GetString(state, "credentialsId");
  if (!metadata_address_.empty()) {
    Status listening = node_.metadata_server.Listen(metadata_address_);
    if (!listening.ok()) LOG_WARN("msg=\"metadata endpoint not reachable\" task={} error=\"{}\"", task_id_, listening.ToString());
    // The endpoint may listen on another port than the previous agent's.
    Status wired = credentials_id_.empty() ? Status::OK() : RedirectCredentials();
    if (!wired.ok()) LOG_WARN("msg=\"credentials endpoint not reachable\" task={} error=\"{}\"", task_id_, wired.ToString());
  }
  // Its containers' resolv.conf may name the VPC resolver: this agent serves it again.
  if (!task_netns_.empty()) ServeVpcDns();
  if (!credentials_id_.empty()) {
    MutexLock lock(mu_);
    node_.metadata.AddCredentials(credentials_id_, assignment_.task_arn, CredentialsAddresses());
  }
  for (auto& c : containers_) {
    if (!c->token.empty()) node_.metadata.Add(c->token, documents_, c->name);
    if (c->started && !GetArray(GetObject(c->definition, "logConfiguration"), "secretOptions").empty()) {
      // Never saved: fetched again for the log driver of a container that goes on running.
      std::string task_arn;
      {
        MutexLock lock(mu_);
        task_arn = assignment_.task_arn;
      }
      auto options = node_.execution_role
                         ? FetchLogSecretOptions(c->definition, task_arn, node_.region, *node_.execution_role)
                         : Result<std::map<std::string, std::string>>(Status::FailedPrecondition("no execution role client"));
      if (options.ok()) {
        c->secrets.log_options = std::move(options).value();
      } else {
        LOG_WARN("msg=\"secret log options not fetched\" container={} error=\"{}\"", c->runtime_id,
                 options.status().ToString());
      }
    }
    if (c->started) {
      ShipLogs(*c);
      StartHealthMonitor(*c);
      PublishFacts(*c);
    }
  }
  if (auto it = state.find("pullStartedAt"); it != state.end()) pull_started_ = it->value().to_number<double>();
  if (auto it = state.find("pullStoppedAt"); it != state.end()) pull_stopped_ = it->value().to_number<double>();
  for (const auto& c : containers_) {
    for (const auto& b : c->bindings) {
      node_.resources.HoldHostPort(static_cast<int>(b.at("hostPort").to_number<int64_t>()));
    }
  }
  // A task whose launch was cut short is not adopted as running: it stops and cleans up.
  bool all_started = !containers_.empty();
  for (const auto& c : containers_) all_started = all_started && c->started;
  if (!all_started) StopLocally("The agent restarted while the task was starting");
  LOG_INFO("msg=\"task adopted\" task={} containers={} complete={}", task_id_, containers_.size(), all_started);
  return true;
}

}  // namespace wharf::agent

namespace wharf::agent {

Result<bool> TaskRunner::DependenciesMet(const Container& c) {
  for (const auto& d : GetArray(c.definition, "dependsOn")) {
    const json::object& dep = d.get_object();
    std::string name = GetString(dep, "containerName");
    std::string condition = GetString(dep, "condition", "START");
    const Container* other = nullptr;
    for (const auto& x : containers_) {
      if (x->name == name) other = x.get();
    }
    if (!other) return Status::InvalidArgument("dependsOn names an unknown container " + name);
    if (condition == "START") {
      if (!other->started) return false;
    } else if (condition == "COMPLETE") {
      if (!other->stopped) return false;
    } else if (condition == "SUCCESS") {
      if (!other->stopped) return false;
      if (other->exit_code.value_or(-1) != 0) {
        return Status::FailedPrecondition("dependency " + name + " exited with code " +
                                          std::to_string(other->exit_code.value_or(-1)) +
                                          ", which the SUCCESS condition of " + c.name + " does not allow");
      }
    } else if (condition == "HEALTHY") {
      if (!other->started) return false;
      if (!other->health) {
        return Status::InvalidArgument("dependency " + name + " has no healthCheck, which the HEALTHY condition of " +
                                       c.name + " needs");
      }
      if (other->health->status() == "UNHEALTHY") {
        return Status::FailedPrecondition("dependency " + name + " is UNHEALTHY, which the HEALTHY condition of " +
                                          c.name + " does not allow");
      }
      if (other->health->status() != "HEALTHY") return false;
    } else {
      return Status::InvalidArgument("unknown dependsOn condition " + condition);
    }
  }
  return true;
}

Result<std::optional<LogDestination>> TaskRunner::LogDestinationOf(const Container& c) {
  // secretOptions are log driver options like the others, once fetched.
  json::object definition = c.definition;
  if (!c.secrets.log_options.empty()) {
    json::value& config = definition["logConfiguration"];
    if (!config.is_object()) config = json::object();
    json::value& options = config.as_object()["options"];
    if (!options.is_object()) options = json::object();
    for (const auto& [name, value] : c.secrets.log_options) options.as_object()[name] = value;
  }
  ASSIGN_OR_RETURN(std::optional<LogDestination> destination, AwslogsDestination(definition, task_id_));
  if (!destination) return destination;
  // FARGATE's awslogs driver runs as the task's execution role; the EC2 launch type's as the
  // container instance (the node's own credentials).
  MutexLock lock(mu_);
  const model::TaskRecord task(assignment_.task);
  if (task.launch_type() == "FARGATE" &&
      !model::TaskRoleArn(definition_, task.overrides(), model::TaskRoleKind::kExecution).empty()) {
    destination->execution_task_arn = assignment_.task_arn;
  }
  return destination;
}

Status TaskRunner::CreateLogStreams() {
  for (auto& c : containers_) {
    auto destination = LogDestinationOf(*c);
    if (!destination.ok() || !*destination || (*destination)->execution_task_arn.empty()) continue;
    before_start_.push_back({c.get(), std::async(std::launch::async, [this, d = **destination]() -> Status {
                               Status made = node_.logs.CreateStream(d);
                               if (made.ok()) return made;
                               return Status::FailedPrecondition(
                                   "ResourceInitializationError: failed to validate logger args: create stream has "
                                   "been retried 1 times: failed to create Cloudwatch log stream: " + made.message());
                             })});
  }
  return Status::OK();
}

void TaskRunner::ShipLogs(Container& c) {
  auto destination = LogDestinationOf(c);
  if (!destination.ok()) {
    LOG_WARN("msg=\"awslogs not usable\" container={} error=\"{}\"", c.runtime_id, destination.status().ToString());
    return;
  }
  if (!*destination) return;  // the output stays on the node, in container.log, for the task's life
  node_.logs.Add(c.dir + "/container.log", **destination);
  c.ships_logs = true;
}

void TaskRunner::StartHealthMonitor(Container& c) {
  auto check = c.definition.find("healthCheck");
  if (check == c.definition.end() || !check->value().is_object()) return;
  auto config = ParseHealthCheck(check->value().get_object());
  if (!config.ok() || !*config) {
    if (!config.ok()) LOG_WARN("msg=\"bad health check\" container={} error=\"{}\"", c.runtime_id, config.status().ToString());
    return;
  }
  std::string id = c.runtime_id;
  ContainerRuntime& runtime = node_.runtime;
  ExecFn exec = [&runtime, id](const std::vector<std::string>& argv, std::chrono::milliseconds timeout) -> Result<ProbeResult> {
    ASSIGN_OR_RETURN(int code, runtime.Exec(id, argv, timeout));
    return ProbeResult{code, ""};
  };
  c.health = std::make_unique<HealthMonitor>(**config, std::move(exec), node_.clock, c.started_at);
}

void TaskRunner::TickHealth() {
  bool changed = false;
  for (auto& c : containers_) {
    if (!c->health || !c->started || c->stopped) continue;
    if (c->health->Tick()) {
      changed = true;
      PublishFacts(*c);
    }
  }
  if (changed) ReportHealth();
}

void TaskRunner::ReportHealth() {
  std::vector<std::pair<bool, std::optional<std::string>>> health;
  json::array containers;
  for (const auto& c : containers_) {
    std::optional<std::string> status;
    if (c->health) {
      status = c->health->status();
      containers.push_back(json::object{{"containerName", c->name}, {"healthStatus", *status}});
    }
    health.emplace_back(c->essential, status);
  }
  std::string cluster;
  {
    MutexLock lock(mu_);
    cluster = model::TaskRecord(assignment_.task).cluster_arn();
  }
  json::object report{{"cluster", cluster}, {"task", task_id_}, {"healthStatus", TaskHealth(health)},
                      {"containers", std::move(containers)}};
  Status sent = node_.reports.SubmitTaskHealth(report);
  if (!sent.ok()) LOG_WARN("msg=\"health report failed\" task={} error=\"{}\"", task_id_, sent.ToString());
}

std::string TaskRunner::PrivateSpecPath(const Container& c) const {
  return node_.private_specs_dir + "/" + c.runtime_id + ".json";
}

Status TaskRunner::WriteSpec(const Container& c, const std::string& spec) {
  const std::string config = c.dir + "/config.json";
  if (c.secrets.environment.empty()) {
    if (!WriteFile(config, spec)) return Status::Internal("cannot write " + config);
    return Status::OK();
  }
  // The secrets' values stay out of the data directory: config.json links to the spec.
  std::error_code ec;
  fs::create_directories(node_.private_specs_dir, ec);
  fs::permissions(node_.private_specs_dir, fs::perms::owner_all, ec);
  const std::string private_spec = PrivateSpecPath(c);
  if (!WriteFile(private_spec, spec, 0600)) return Status::Internal("cannot write " + private_spec);
  const std::string link = config + ".tmp";
  fs::remove(link, ec);
  fs::create_symlink(private_spec, link, ec);
  if (ec || std::rename(link.c_str(), config.c_str()) != 0) {
    return Status::Internal("cannot link " + config + " to " + private_spec);
  }
  return Status::OK();
}

ExecutionRoleCalls* TaskRunner::TaskCalls() {
  if (eni_calls_) return &*eni_calls_;
  ExecutionRoleCalls* calls = node_.execution_role;
  bool fargate = false;
  {
    MutexLock lock(mu_);
    fargate = assignment_.container_instance_id.empty();
  }
  // A Fargate task in a VPC reaches only what its subnet reaches: through its namespace
  // (attached first, LaunchContainers) toward its VPC's endpoints and the server's front, as
  // its pulls (pull_path.h). Not a public subnet's task without a public address (a deliberate
  // deviation: the node's connection).
  if (!calls || !fargate || !eni_ || eni_->vpc_id.empty()) return calls;
  const bool way_out = !eni_->outside_address.empty();
  if (!way_out && eni_->pulls_from == "any") return calls;
  std::map<std::string, ExecutionRoleCalls*, std::less<>> via_endpoint;
  if (!task_netns_.empty() && node_.execution_role_in) {
    front_calls_ = node_.execution_role_in(task_netns_, "");
    for (const auto& e : eni_->endpoints) {
      if (!e.private_dns) continue;  // the service's name answers another (or its public address)
      endpoint_calls_.push_back(node_.execution_role_in(task_netns_, e.address));
      via_endpoint[e.service] = endpoint_calls_.back().get();
    }
  }
  if (way_out && !front_calls_) return calls;
  eni_calls_.emplace(*calls, way_out ? std::vector<std::string>{} : eni_->endpoint_services, front_calls_.get(),
                     std::move(via_endpoint));
  return &*eni_calls_;
}

Status TaskRunner::FetchExecutionResources() {
  std::vector<json::object> definitions;
  bool needed = false;
  for (const auto& c : containers_) {
    definitions.push_back(c->definition);
    needed = needed || NeedsExecutionResources(c->definition);
  }
  if (!needed) return Status::OK();
  if (!node_.execution_role) {
    return Status::FailedPrecondition("ResourceInitializationError: unable to pull secrets or registry auth: this "
                                      "node has no way to call the API with the task's execution role");
  }
  std::string task_arn;
  {
    MutexLock lock(mu_);
    task_arn = assignment_.task_arn;
  }
  ExecutionRoleCalls* calls = TaskCalls();
  ASSIGN_OR_RETURN(auto fetched, FetchTaskSecrets(definitions, task_arn, node_.region, *calls));
  for (auto& c : containers_) {
    auto it = fetched.find(c->name);
    if (it != fetched.end()) c->secrets = std::move(it->second);
  }
  return Status::OK();
}

Status TaskRunner::WireCredentials() {
  std::string task_arn, role;
  {
    MutexLock lock(mu_);
    task_arn = assignment_.task_arn;
    role = model::TaskRoleArn(definition_, model::TaskRecord(assignment_.task).overrides(), model::TaskRoleKind::kTask);
  }
  if (role.empty()) return Status::OK();
  if (credentials_id_.empty()) {
    SecureRandom random;
    std::string hex = RandomHex(random, 32);
    credentials_id_ = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) +
                      "-" + hex.substr(20);
  }
  ASSIGN_OR_RETURN(std::function<Status()> redirect, CredentialsRedirect());
  before_start_.push_back({nullptr, std::async(std::launch::async, [this, redirect = std::move(redirect), id = credentials_id_,
                                                                    task_arn, addresses = CredentialsAddresses()] {
                             RETURN_IF_ERROR(redirect());
                             node_.metadata.AddCredentials(id, task_arn, addresses);
                             return Status::OK();
                           })});
  return Status::OK();
}

std::set<std::string> TaskRunner::CredentialsAddresses() const {
  // Host mode shares the node's network: its containers ask from the loopback address like
  // every process of the node, so only the unguessable id tells the task apart (as with
  // the ECS agent's host mode tasks, which reach its endpoint through the host's own rule).
  if (network_mode_ == "host") return {"127.0.0.1"};
  std::set<std::string> addresses;
  for (const auto& c : containers_) addresses.insert(c->ip);
  return addresses;
}

Status TaskRunner::RedirectCredentials() {
  ASSIGN_OR_RETURN(std::function<Status()> redirect, CredentialsRedirect());
  return redirect();
}

Result<std::function<Status()>> TaskRunner::CredentialsRedirect() const {
  uint16_t port = node_.metadata_server.Port(metadata_address_);
  if (port == 0) return Status::Unavailable("the metadata endpoint does not listen on " + metadata_address_);
  std::set<std::string> namespaces;
  for (const auto& c : containers_) {
    if (!c->netns.empty()) namespaces.insert(c->netns);
  }
  // The listener's address may name its bridge ("<ip>%<bridge>", ListenAddress): the rule takes the IP.
  std::string address = metadata_address_.substr(0, metadata_address_.find('%'));
  NetworkAttacher& network = node_.network;
  return std::function<Status()>([&network, namespaces, address, port] {
    for (const auto& netns : namespaces) RETURN_IF_ERROR(network.RedirectCredentialsEndpoint(netns, address, port));
    return Status::OK();
  });
}

void TaskRunner::PublishFacts(const Container& c) {
  ContainerFacts facts;
  facts.name = c.name;
  facts.runtime_id = c.runtime_id;
  if (c.created) facts.created_at = c.created_at;
  if (c.started) facts.started_at = c.started_at;
  if (!c.ip.empty()) facts.ipv4_addresses = {c.ip};
  if (c.health) facts.health = c.health->report();
  documents_->SetContainer(std::move(facts));
}

void TaskRunner::TickUsage() {
  const auto now = node_.clock.Now();
  if (usage_sample_ && now - usage_sample_->read < node_.usage_interval) return;
  auto [cpu_units, memory_mib] = TaskSize();
  auto sample = ReadCgroupV1(StatsPaths{}, "/wharf/" + task_id_, node_.clock);
  if (!sample.ok()) {
    // No cgroup to read (a runtime that makes none): try again next interval.
    usage_sample_ = CgroupSample{};
    usage_sample_->read = now;
    return;
  }
  std::optional<CgroupSample> previous = std::move(usage_sample_);
  usage_sample_ = *sample;
  if (!previous || previous->cpu_total == 0 || (cpu_units == 0 && memory_mib == 0)) return;
  double wall_ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(sample->read - previous->read).count());
  if (wall_ns <= 0) return;
  json::object report{{"task", task_id_}};
  {
    MutexLock lock(mu_);
    report["cluster"] = model::TaskRecord(assignment_.task).cluster_arn();
  }
  if (cpu_units > 0 && sample->cpu_total >= previous->cpu_total) {
    // CPU time over wall time is cores; a core is 1,024 units.
    double used_units = static_cast<double>(sample->cpu_total - previous->cpu_total) / wall_ns * 1024.0;
    report["cpuUtilization"] = used_units / static_cast<double>(cpu_units) * 100.0;
  }
  if (memory_mib > 0) {
    // As Docker and the ECS agent count it: usage less the page cache.
    uint64_t cache = sample->memory_stat.count("total_inactive_file") ? sample->memory_stat.at("total_inactive_file")
                     : sample->memory_stat.count("cache")               ? sample->memory_stat.at("cache")
                                                                        : 0;
    uint64_t used = sample->memory_usage > cache ? sample->memory_usage - cache : 0;
    report["memoryUtilization"] = static_cast<double>(used) / (static_cast<double>(memory_mib) * 1048576.0) * 100.0;
  }
  Status sent = node_.reports.SubmitTaskUsage(report);
  if (!sent.ok()) LOG_WARN("msg=\"usage report failed\" task={} error=\"{}\"", task_id_, sent.ToString());
}

std::pair<int64_t, int64_t> TaskRunner::TaskSize() {
  // Task-level cpu and memory (with overrides) bound the containers together, as on AWS.
  std::string cpu, memory;
  {
    MutexLock lock(mu_);
    const json::object& overrides = model::TaskRecord(assignment_.task).overrides();
    cpu = GetString(overrides, "cpu", GetString(definition_, "cpu"));
    memory = GetString(overrides, "memory", GetString(definition_, "memory"));
  }
  int64_t cpu_units = cpu.empty() ? 0 : std::atoll(cpu.c_str());
  int64_t memory_mib = memory.empty() ? 0 : std::atoll(memory.c_str());
  if (cpu.find("vCPU") != std::string::npos || cpu.find("vcpu") != std::string::npos) {
    cpu_units = static_cast<int64_t>(std::atof(cpu.c_str()) * 1024);
  }
  if (memory.find("GB") != std::string::npos || memory.find("gb") != std::string::npos) {
    memory_mib = static_cast<int64_t>(std::atof(memory.c_str()) * 1024);
  }
  return {cpu_units, memory_mib};
}

Status TaskRunner::ApplyTaskSize() {
  auto [cpu_units, memory_mib] = TaskSize();
  if (cpu_units == 0 && memory_mib == 0) return Status::OK();
  return SetTaskLimits("/wharf/" + task_id_, cpu_units, memory_mib);
}

std::map<std::string, std::string> TaskRunner::ContainerAddresses() const {
  std::map<std::string, std::string> out;
  for (const auto& c : containers_) out[c->name] = c->ip;
  return out;
}

}  // namespace wharf::agent
