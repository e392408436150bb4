// NodeContext: what every task runner of one agent shares: the server, the image store, the
// container runtime, the network, and the node's host ports.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "agent/image/image_store.h"
#include "agent/log_shipper.h"
#include "agent/metadata_directory.h"
#include "agent/metadata_server.h"
#include "agent/network/network.h"
#include "agent/runtime/container_runtime.h"
#include "agent/server_client.h"
#include "base/thread_annotations.h"

namespace wharf::agent {

struct NodeContext {
  ServerClient& server;
  ImageStore& images;
  ContainerRuntime& runtime;
  Network& network;
  LogShipper& logs;
  MetadataDirectory& metadata;
  MetadataServer& metadata_server;
  Clock& clock;
  std::string tasks_dir;    // DIR/tasks
  std::string cluster;
  std::string region;
  Subnet bridge_subnet;     // the node's network for networkMode bridge
  PullOptions pull;         // ECR hosts -> the server, with its tokens

  // Dynamic host ports handed out on this node (released when a task stops).
  std::mutex ports_mu{};
  std::set<int> host_ports GUARDED_BY(ports_mu){};
  // Subnets whose bridge this agent made or used (removed when it stops with no task left).
  std::map<std::string, Subnet> subnets GUARDED_BY(ports_mu){};
};

}  // namespace wharf::agent
