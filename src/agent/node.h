// NodeContext: what every task runner of one agent shares: the server, the image store, the
// container runtime, the network, and the node's host ports. Each I/O dependency is the
// narrow interface a task runner uses (TaskReports, ImageSource, ContainerRuntime,
// NetworkAttacher, RootfsMounter), so a test builds a node of fakes.
//
// Thread-safety: the fields are set once, when the agent starts; NodeResources locks itself.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>

#include "agent/image/image_store.h"
#include "agent/log_shipper.h"
#include "agent/metadata_directory.h"
#include "agent/metadata_server.h"
#include "agent/network/firewall.h"
#include "agent/network/network.h"
#include "agent/runtime/container_runtime.h"
#include "agent/server_client.h"
#include "agent/snapshot/overlay.h"
#include "agent/task_reports.h"
#include "agent/task_secrets.h"
#include "agent/vpc_dns.h"
#include "base/mutex.h"

namespace wharf::agent {

// What the task runners of a node hand out among themselves and give back.
class NodeResources {
 public:
  // A free dynamic host port (49153-65535), held until released.
  Result<int> ReserveHostPort() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    ASSIGN_OR_RETURN(int port, PickHostPort(host_ports_));
    host_ports_.insert(port);
    return port;
  }
  // A port an adopted task already holds.
  void HoldHostPort(int port) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    host_ports_.insert(port);
  }
  void ReleaseHostPort(int port) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    host_ports_.erase(port);
  }
  // Records that a task's network lives on `subnet`, so the node can take it down when idle.
  void UseSubnet(const Subnet& subnet) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    subnets_[subnet.id] = subnet;
  }
  // Subnets whose bridge this agent made or used (removed when it stops with no task left).
  std::map<std::string, Subnet> SubnetsUsed() const EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return subnets_;
  }

 private:
  mutable Mutex mu_;
  std::set<int> host_ports_ GUARDED_BY(mu_);  // dynamic ones, released when a task stops
  std::map<std::string, Subnet> subnets_ GUARDED_BY(mu_);  // by subnet id
};

struct NodeContext {
  TaskReports& reports;  // to the server
  ImageSource& images;
  ContainerRuntime& runtime;
  NetworkAttacher& network;
  RootfsMounter& rootfs;
  LogShipper& logs;
  MetadataDirectory& metadata;
  MetadataServer& metadata_server;
  Clock& clock;
  std::string tasks_dir;    // DIR/tasks
  std::string cluster;
  std::string region;
  Subnet bridge_subnet;     // the node's network for networkMode bridge
  PullOptions pull;         // ECR hosts -> the server, with its tokens
  // How a task with an execution role pulls: ECR tokens got with the role's credentials
  // (the task's ARN names it to the server), the tag resolved at the registry every time so
  // that the role's permissions decide. Null: as `pull`.
  std::function<PullOptions(const std::string& task_arn)> pull_as_execution_role = nullptr;
  // How a task's secrets and private registry credentials are fetched with its execution
  // role (task_secrets.h). Null: a task that names any fails to start.
  ExecutionRoleCalls* execution_role = nullptr;
  // The same calls made from a task's network namespace toward `address` on 443 (an
  // interface endpoint's in its VPC; "": the server's front) (pull_path.h). Null: a Fargate
  // task's calls use `execution_role` whatever its network.
  std::function<std::unique_ptr<ExecutionRoleCalls>(const std::string& netns_path, const std::string& address)>
      execution_role_in = nullptr;
  // Where the OCI spec of a container with secrets lives (0600, in a 0700 directory), its
  // bundle's config.json a link to it: runc reads the spec at create, and again at every exec
  // (health checks run with the container's environment, secrets included, as Docker's exec
  // does), but the values stay out of the data directory. On tmpfs, as /run is. The agent
  // uses /run/wharf/specs/<node id>.
  std::string private_specs_dir = "/run/wharf/specs";

  NodeResources resources{};  // host ports and subnets in use
  // The ENIs the node's security-group table holds (network/firewall.h): an awsvpc task's
  // containers start only once its ENI is among them. Null: no wait (a node of fakes).
  EnforcedEnis* enforced_enis = nullptr;
  // The VPC ENIs the node's egress table (network/egress.h) holds, by task ARN and address: a
  // Fargate task pulls through its namespace, and any VPC task's container starts, only once
  // its ENI's is in force (keyed by task, not address: an earlier task's ENI at a reused
  // address, still in the table while nft writes the plan without it, let the pull's first SYN
  // meet the front's drop and wait out TCP's 1 s retransmit). Null: no wait.
  EnforcedEnis* egress_enis = nullptr;
  // The VPC resolver of this node (vpc_dns.h); null: awsvpc tasks keep the host's resolvers.
  VpcDns* vpc_dns = nullptr;
  // How often each running task reports its cpu and memory use (TaskReports::SubmitTaskUsage).
  std::chrono::seconds usage_interval{60};
};

}  // namespace wharf::agent
