// Agent: one node of a wharf cluster (an ECS container instance). `wharf agent` runs one;
// `wharf server` runs one in process by default, over the same HTTP path.
//
// Lifecycle: Start() registers the node with RegisterContainerInstance (CPU units = 1024 per
// core, memory in MiB, reserved ports, attributes), adopts the tasks a previous run of the
// agent left on this node (their containers kept running under their monitors), and starts a
// loop that long-polls the server for the node's tasks (controlplane/assignment_board.h) and gives each
// task to a TaskRunner. Stop() ends the loop and the runners' threads but leaves every
// container running: a restarted agent picks them up again.
//
// Local state under data_dir (the agent never touches the server's store):
//   node.json            the node's instance id and container instance ARN, kept across runs
//   tasks/<task id>/     one task: state.json (its assignment and what was made for it),
//                        hosts, resolv.conf, hostname, containers/<name>/ (bundle, rootfs
//                        mount, log)
//   images/              pulled images and unpacked layers (agent/image)
//   runtime/             runc and wharf-monitor state (agent/runtime)
//   network/             CNI state and named network namespaces (agent/network)
//
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agent/server_client.h"
#include "base/status.h"
#include "agent/vpc_dns.h"

namespace wharf::agent {

struct AgentOptions {
  ServerAddress server;
  std::string data_dir;
  std::string cluster = "default";
  std::string runtime = "runc";       // or crun
  std::string availability_zone;      // default: <region>a
  // Registry hosts that are the server's own ECR: "<account>.dkr.ecr.<region>.amazonaws.com"
  // and the server's registry host. Pulls from them go to the server with an ECR token.
  std::string account_id = "000000000000";
  std::string bridge_cidr = "10.214.0.0/16";  // the node's network for networkMode bridge
  int usage_interval_seconds = 60;  // tasks report their cpu and memory use this often (AWS/ECS metrics)
  // Where awsvpc tasks' DNS goes (borrowed; must outlive the agent). Null: a node with no VPC
  // resolver, whose tasks keep the host's resolvers (a remote `wharf agent`, for now).
  VpcDns* vpc_dns = nullptr;
};

class Agent {
 public:
  virtual ~Agent() = default;
  virtual const std::string& container_instance_arn() const = 0;
  virtual const std::string& node_id() const = 0;
  // The task metadata endpoint's port on loopback, which it also takes on each VPC bridge
  // where it is free (metadata_server.h).
  virtual uint16_t metadata_port() const = 0;
  virtual void Stop() = 0;

  static Result<std::unique_ptr<Agent>> Start(AgentOptions options);
};

}  // namespace wharf::agent
