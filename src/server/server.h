// Server: `wharf server` wired together: store, credentials, the API front door and its
// services, the HTTP listener. Start() returns once the port answers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "scheduler/fargate_capacity.h"

namespace wharf {

struct ServerOptions {
  std::string data_dir = "./wharf-data";
  // The KMS root key (kms/root_key.h); empty: DATA/kms-root-key, made when absent.
  std::string kms_root_key_file;
  std::string listen = "127.0.0.1:4566";
  std::string region = "us-east-1";  // the home region: the local node's, the default one
  // The regions the API serves (each request's credential scope picks one); empty: every
  // region of model/regions.h. The home region is always served.
  std::vector<std::string> regions;
  std::string account_id = "000000000000";
  std::string store_url = "sqlite";
  bool dev = false;
  int threads = 0;  // 0: one per core
  int api_workers = 8;     // threads that run blocking API requests off the loops (0: on them)
  size_t api_queue = 256;  // API requests waiting for a worker before they are throttled
  // What ECR repositoryUri values start with; empty: the --listen address.
  std::string registry_host;
  int registry_gc_grace_seconds = 600;       // unreferenced blobs younger than this are kept
  int maintenance_interval_seconds = 300;    // lifecycle policies and garbage collection
  int alarm_evaluation_interval_seconds = 60;  // CloudWatch alarms are evaluated this often (AWS: every minute)
  int metrics_interval_seconds = 60;  // wharf's own metrics (AWS/ApplicationELB) are published this often
  // The Period of the alarms target tracking policies make (AWS: 60; 1, 5, 10, 30 or a multiple of 60).
  int target_tracking_period_seconds = 60;
  std::string lb_bind_address = "127.0.0.1";  // where load balancer listeners listen
  int lb_threads = 0;                          // data plane event loops (0: one per core)
  bool local_agent = true;                     // run this machine's node in process (needs root)
  std::string runtime = "runc";                // the OCI runtime of the local agent
  // The default VPC's, when the server creates it; empty: AWS's 172.31.0.0/16 unless this host
  // uses part of it, then 10.213.0.0/16 (server/default_vpc.h says why).
  std::string vpc_cidr;
  std::string public_ip_pool = "198.51.100.0/24";  // elastic IPs (AllocateAddress) come from here
  // FARGATE tasks are placed against this many times each node's CPU and memory (>= 1).
  double fargate_overcommit = scheduler::kDefaultFargateOvercommit;
  // The web console's built files, served under /console/; empty: console/ beside the binary.
  std::string console_dir;
  // Where the VPC resolver forwards names that are not the VPC's own: "ip[:port]"; empty:
  // the host's resolvers (/etc/resolv.conf).
  std::vector<std::string> dns_upstreams;
  // More listeners of the VPC resolver, "VPC=IP:PORT", unbound: tests and benchmarks ask it
  // from the host.
  std::vector<std::string> dns_listen;
};

class Server {
 public:
  virtual ~Server() = default;
  virtual uint16_t port() const = 0;
  virtual const std::string& credentials_path() const = 0;
  virtual void Stop() = 0;

  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options);
};

}  // namespace wharf
