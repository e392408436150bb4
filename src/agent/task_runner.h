// TaskRunner: one ECS task on this node, from its assignment to STOPPED.
//
// Lifecycle (one thread per task):
//   launch:  report PENDING -> pull images -> network (awsvpc: one namespace for the task,
//            with the address the server gave its ENI; bridge: one per container on the
//            node bridge, its address picked by the node, host ports mapped; host: none),
//            made on other threads beside the task's cgroup limits, log streams and root
//            filesystems, and wired by CNI beside the containers' creation -> per
//            container, in dependsOn order: /etc files, OCI spec, create, (network wired,
//            security groups in force) start under its monitor -> report RUNNING.
//   run:     watch the containers; an essential container's exit, or desiredStatus STOPPED
//            from the server, stops the task.
//   stop:    SIGTERM, then SIGKILL after the container's stopTimeout (default 30 s), in
//            reverse dependency order -> remove containers, mounts, namespaces, cgroups ->
//            report STOPPED with each container's exit code -> done.
// What was made is written to tasks/<id>/state.json as it is made, so a restarted agent
// (Adopt) finds running containers and watches them on, or cleans up half-made work.
//
// Time comes from the node's Clock (reports, container timestamps, stopTimeout deadlines,
// health checks); the loops' short pauses between polls are real time.
//
// What it needs of the node comes through NodeContext's interfaces (the server's TaskReports,
// ImageSource, ContainerRuntime, NetworkAttacher, RootfsMounter), so tests run it on fakes.
//
// Thread-safety: Update, StopLocally, Finished, ImagesInUse and Detach may be called from the
// agent's loop while the runner's thread works.
#pragma once

#include <poll.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "agent/health_check.h"
#include "agent/metadata_directory.h"
#include "agent/node.h"
#include "agent/pull_path.h"
#include "base/mutex.h"
#include "model/task_assignment.h"

namespace wharf::agent {

class TaskRunner {
 public:
  // `assignment` is what the server sent (or, adopting, what state.json kept). `adopt`: a
  // previous agent ran it; its local state is read from disk.
  TaskRunner(NodeContext& node, model::TaskAssignment assignment, bool adopt);
  ~TaskRunner();

  // The assignment a task's state.json was written with (Adopt reads it to make the runner).
  static Result<model::TaskAssignment> AssignmentInState(const boost::json::object& state);

  // A newer assignment from the server (desiredStatus may have become STOPPED).
  void Update(const model::TaskAssignment& assignment) EXCLUDES(mu_);
  // Asks the task to stop with this reason (the server no longer lists it).
  void StopLocally(const std::string& reason) EXCLUDES(mu_);
  bool Finished() const EXCLUDES(mu_);
  // Its containers, their roots and its network are gone (the task stopped and was cleaned
  // up), whether or not its report and files are: nothing of it holds the node's bridges or
  // tables any more.
  bool Released() const EXCLUDES(mu_);
  // The images (platform manifest digests) this task's containers run, for image cleanup.
  std::set<std::string> ImagesInUse() const EXCLUDES(mu_);
  // Ends the runner's thread without touching its containers (agent shutdown). A stop under
  // way finishes its cleanup first (Released), not its report.
  void Detach() EXCLUDES(mu_);
  // After Detach: waits for the thread to end.
  void Join();

  const std::string& task_id() const { return task_id_; }

 private:
  struct Container;
  void Run();
  Status Launch();
  Status LaunchContainers();
  // The containers' secrets, secret log options and registry credentials, fetched with the
  // execution role before anything is pulled (task_secrets.h); kept in memory only.
  Status FetchExecutionResources();
  // The execution role's calls of this task (the secrets, the ECR token): the node's, or for a
  // Fargate task in a VPC its network's (pull_path.h CallsThroughEni), made on first use once
  // the ENI is attached. Null without a node's execution role client. Runner thread only.
  ExecutionRoleCalls* TaskCalls();
  // c's OCI spec as its bundle's config.json; with secrets, a link to a 0600 file under
  // NodeContext::private_specs_dir (PrivateSpecPath), removed by Cleanup.
  Status WriteSpec(const Container& c, const std::string& spec);
  std::string PrivateSpecPath(const Container& c) const;
  // A network attachment made on another thread (BeginAttach) while the runner goes on: its
  // namespace is told as soon as it exists (before CNI wires it), so the containers' files,
  // specs and creation overlap CNI; AwaitNetwork waits for the wiring (before a container
  // starts, and before a failed launch is cleaned up).
  struct PendingAttachment;
  // Starts Attach of `id` (awsvpc: the task's, `container` nullptr; bridge: one container's).
  void BeginAttach(const std::string& id, const Subnet& subnet, std::vector<PortMapping> ports,
                   const std::string& requested_ip, Container* container);
  // Waits for p's namespace and takes it (task_netns_ or its container's netns and address);
  // the error of an Attach that failed before making it.
  Result<AttachmentNamespace> AwaitNamespace(PendingAttachment& p);
  // awsvpc: begins the task's attachment and waits for its namespace.
  Status AttachTaskNetwork();
  // Every attachment begun is wired (or the first error); each one's namespace taken first.
  Status AwaitNetwork();
  // An awsvpc task's ENI is in the node's security-group table (never a moment unfiltered).
  Status AwaitSecurityGroups();
  // A VPC ENI is in the node's egress table, by task (Node::egress_enis): its way out before a
  // pull through its namespace, the table's 127/8 drop before a container starts.
  Status AwaitEgress();
  // c's root filesystem, mounted once (before the network's namespace is waited for).
  Status MountRootfs(Container& c);
  // Up to its runtime's Create: rootfs, /etc files, spec.
  Status CreateContainer(Container& c);
  // Once its network is wired and its security groups and egress hold it.
  Status StartCreated(Container& c);
  // What the first start waits for, begun beside the containers' creation (the credentials'
  // DNAT, FARGATE's log streams); its first error, as the launch's, with the container it
  // names (its reason set).
  struct BeforeStart {
    Container* container = nullptr;
    std::future<Status> done;
  };
  Status AwaitBeforeStart();
  void Watch();
  // Refreshes each container's state from the runtime.
  void PollContainers();
  // Reports containers that stopped since the last report (non-essential ones exit alone).
  void ReportContainerChanges();
  // Whether c's dependsOn conditions hold; an error when they never can.
  Result<bool> DependenciesMet(const Container& c);
  // name -> address, for /etc/hosts (links in bridge mode).
  std::map<std::string, std::string> ContainerAddresses() const;
  // Runs the health checks that are due; reports a change of any container's health.
  void TickHealth();
  // The task's cpu and memory as limits on its cgroup parent.
  Status ApplyTaskSize();
  // The task's size (definition and overrides): cpu units and memory MiB, 0 when not set.
  std::pair<int64_t, int64_t> TaskSize();
  // Once a usage interval, while the task runs: its cpu and memory use since the last time,
  // as percents of its size, reported to the server (AWS/ECS CPUUtilization and
  // MemoryUtilization). Read from the task's cgroup parent, which holds all its containers.
  void TickUsage();
  void StartHealthMonitor(Container& c);
  // awslogs: the container's output goes to CloudWatch Logs.
  void ShipLogs(Container& c);
  // The container's awslogs destination (nullopt: another log driver), with the caller its
  // calls are signed as.
  Result<std::optional<LogDestination>> LogDestinationOf(const Container& c) EXCLUDES(mu_);
  // FARGATE with an execution role: each awslogs stream is made as that role before anything
  // starts, so a role that may not write the logs stops the task as Fargate does. Begun
  // here, awaited before the first start (AwaitBeforeStart).
  Status CreateLogStreams();
  void ReportHealth();
  // A task with a task role: its containers' requests to 169.254.170.2:80 reach the metadata
  // endpoint, where its credentials id answers them (and only them) with the role's
  // credentials. Begun once the containers' namespaces and addresses are known, beside their
  // creation; in force before any starts (AwaitBeforeStart).
  Status WireCredentials();
  // The addresses the task's credentials id is answered to.
  std::set<std::string> CredentialsAddresses() const;
  // The DNAT of 169.254.170.2:80 to the metadata endpoint in each of the task's namespaces;
  // CredentialsRedirect: the same as work for another thread, with what it needs captured.
  Status RedirectCredentials();
  Result<std::function<Status()>> CredentialsRedirect() const;
  void ServeVpcDns();
  // Publishes c to the metadata endpoint (after each change of its state).
  void PublishFacts(const Container& c);
  void StopTask(const std::string& reason);
  void Cleanup();
  void RemoveTaskDir();
  // Reports to the server; failures are retried a few times, then logged.
  void Report(const std::string& status, const std::string& reason);
  boost::json::object StateReport(const std::string& status, const std::string& reason);
  void Send(const boost::json::object& report, const std::string& status);
  void SaveState();
  bool LoadState();
  bool ShouldStop() const EXCLUDES(mu_);
  bool Sleep(std::chrono::milliseconds d) EXCLUDES(mu_);  // false when detached
  // Watch's wait: until a container exits, a stop or detach, or something is due; false when detached.
  bool AwaitChange() EXCLUDES(mu_);
  void AwaitExit(std::chrono::system_clock::time_point until);  // StopTask's wait
  void DrainWake(const std::vector<pollfd>& fds, int polled);
  void Wake();  // ends AwaitChange's wait (after desired_stopped_ or detached_ changed)
  // An awsvpc task's subnet, from its ENI (eni_ is set).
  Subnet TaskSubnet() const;
  // Seconds since the epoch on the node's clock, as state reports carry times.
  double NowSeconds() const;

  // Constant after construction.
  NodeContext& node_;
  const std::string task_id_;
  const std::string dir_;
  const bool adopt_;
  const std::string network_mode_;
  const std::optional<model::TaskAssignment::Eni> eni_;  // awsvpc
  const boost::json::object definition_;  // the task definition
  const std::shared_ptr<TaskDocuments> documents_ = std::make_shared<TaskDocuments>();
  std::thread thread_;  // runs Run(); joined by the destructor
  int wake_fd_ = -1;    // an eventfd written by Wake; set before thread_ starts

  // Protected by mu_: what the agent's loop and the runner's thread both touch.
  mutable Mutex mu_;
  CondVar cv_;  // signalled when desired_stopped_ or detached_ becomes true
  model::TaskAssignment assignment_ GUARDED_BY(mu_);
  bool desired_stopped_ GUARDED_BY(mu_) = false;
  std::string stop_reason_ GUARDED_BY(mu_);
  bool detached_ GUARDED_BY(mu_) = false;
  bool finished_ GUARDED_BY(mu_) = false;
  bool released_ GUARDED_BY(mu_) = false;  // Released()
  std::set<std::string> images_in_use_ GUARDED_BY(mu_);

  // Owned by the runner's thread.
  std::thread pending_report_;  // the PENDING report, sent beside the launch
  std::vector<std::unique_ptr<Container>> containers_;
  std::string task_netns_;  // awsvpc
  // A Fargate task in a VPC: its execution role's calls as its own packets (TaskCalls).
  std::unique_ptr<ExecutionRoleCalls> front_calls_;
  std::vector<std::unique_ptr<ExecutionRoleCalls>> endpoint_calls_;
  std::optional<CallsThroughEni> eni_calls_;
  // Attachments under way (BeginAttach), until AwaitNetwork.
  std::vector<std::unique_ptr<PendingAttachment>> attachments_;
  std::vector<BeforeStart> before_start_;  // until AwaitBeforeStart
  std::vector<std::string> dns_servers_;  // what its containers' resolv.conf names; empty: the host's
  std::string metadata_address_;  // where this task's containers reach the metadata endpoint
  std::string credentials_id_;    // its task role's credentials id (a UUID); empty: no task role
  double pull_started_ = 0, pull_stopped_ = 0;
  std::optional<CgroupSample> usage_sample_;  // the task cgroup's reading at the last usage tick
};

}  // namespace wharf::agent
