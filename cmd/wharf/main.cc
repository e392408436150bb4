// wharf: AWS ECS + Fargate + ALB + ECR + CloudWatch Logs on your own Linux machines.
// Flags and wiring only; the work is in src/.
#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>

#include "base/logging.h"
#include "agent/agent.h"
#include "server/server.h"
#include "server/vpc_dns.h"

namespace {

// Blocks SIGTERM/SIGINT in every thread (call before any thread starts) and waits for one.
// SIGPIPE is ignored: answers that are files go out with sendfile(2), which has no
// MSG_NOSIGNAL, so a client that closes while one is being sent (a browser leaving a page,
// a client reading only the headers) would otherwise kill the process; the write fails
// with EPIPE instead and only that connection closes.
// SIGCHLD is set back to its default: ignored (by whoever started wharf) the kernel would
// reap our children itself and no waitpid would get an exit status.
sigset_t BlockStopSignals() {
  std::signal(SIGCHLD, SIG_DFL);
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int RunServer(const wharf::ServerOptions& options) {
  auto started_at = std::chrono::steady_clock::now();
  sigset_t stop_signals = BlockStopSignals();
  auto server = wharf::Server::Start(options);
  if (!server.ok()) {
    LOG_ERROR("msg=\"server failed to start\" error=\"{}\"", server.status().ToString());
    return 1;
  }
  auto ms = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  started_at).count() / 1000.0;
  LOG_INFO("msg=ready listen={} port={} store={} dev={} ready_ms={:.1f} credentials={}", options.listen,
           (*server)->port(), options.store_url, options.dev, ms, (*server)->credentials_path());
  int sig = 0;
  sigwait(&stop_signals, &sig);
  LOG_INFO("msg=\"shutting down\" signal={}", sig);
  (*server)->Stop();
  LOG_INFO("msg=stopped");
  return 0;
}

int RunAgent(const std::string& server_url, wharf::agent::AgentOptions options,
             std::vector<std::string> dns_upstreams) {
  sigset_t stop_signals = BlockStopSignals();
  auto address = wharf::agent::ParseServerUrl(server_url);
  if (!address.ok()) {
    LOG_ERROR("msg=\"bad --server\" error=\"{}\"", address.status().ToString());
    return 2;
  }
  address->region = options.server.region;
  address->access_key_id = options.server.access_key_id;
  address->secret_access_key = options.server.secret_access_key;
  if (address->access_key_id.empty() && std::getenv("AWS_ACCESS_KEY_ID")) address->access_key_id = std::getenv("AWS_ACCESS_KEY_ID");
  if (address->secret_access_key.empty() && std::getenv("AWS_SECRET_ACCESS_KEY")) {
    address->secret_access_key = std::getenv("AWS_SECRET_ACCESS_KEY");
  }
  options.server = *address;
  // The VPC resolver of this node's awsvpc tasks, on the names the server's feed carries.
  auto vpc_dns = wharf::NodeVpcDns::StartFromFeed(std::move(dns_upstreams));
  if (!vpc_dns.ok()) {
    LOG_ERROR("msg=\"VPC resolver failed to start\" error=\"{}\"", vpc_dns.status().ToString());
    return 1;
  }
  options.vpc_dns = vpc_dns->get();
  auto agent = wharf::agent::Agent::Start(options);
  if (!agent.ok()) {
    LOG_ERROR("msg=\"agent failed to start\" error=\"{}\"", agent.status().ToString());
    return 1;
  }
  LOG_INFO("msg=ready node={} containerInstance={}", (*agent)->node_id(), (*agent)->container_instance_arn());
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*agent)->Stop();
  (*vpc_dns)->Stop();
  LOG_INFO("msg=stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wharf: ECS, Fargate, ALB, ECR and CloudWatch Logs on your own machines"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug, info, warn or error");

  wharf::ServerOptions server_options;
  auto* server = app.add_subcommand("server", "Run the control plane (and, by default, a local node)");
  server->add_option("--data-dir", server_options.data_dir, "State and credentials directory")
      ->capture_default_str();
  server->add_option("--listen", server_options.listen, "API address HOST:PORT")->capture_default_str();
  server->add_option("--region", server_options.region, "Home AWS region (the local node's)")->capture_default_str();
  server->add_option("--kms-root-key-file", server_options.kms_root_key_file,
                     "The key that wraps every KMS key's material: 64 hex digits or 32 bytes, mode 0600 "
                     "(default: DATA/kms-root-key, made on first use; servers sharing a store must share it)");
  server->add_option("--regions", server_options.regions,
                     "Regions the API serves, comma-separated (default: every AWS commercial region)")
      ->delimiter(',');
  server->add_option("--account-id", server_options.account_id, "AWS account id")->capture_default_str();
  server->add_option("--store", server_options.store_url,
                     "sqlite (in the data dir), sqlite:///path.db, memory or etcd://host:port[,host:port]")
      ->capture_default_str();
  server->add_option("--threads", server_options.threads, "API event loops (0: one per core)");
  server->add_option("--api-workers", server_options.api_workers,
                     "Threads that run API requests that wait on the store (with etcd all of them; "
                     "with SQLite the writes), off the event loops (0: on the loops)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  server->add_option("--api-queue", server_options.api_queue,
                     "API requests that may wait for a worker; more are answered with the "
                     "service's throttling error")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  server->add_option("--registry-host", server_options.registry_host,
                     "HOST:PORT that ECR repositoryUri values name (default: the --listen address)");
  server->add_option("--registry-gc-grace", server_options.registry_gc_grace_seconds,
                     "Seconds an unreferenced blob is kept before garbage collection")
      ->capture_default_str();
  server->add_option("--maintenance-interval", server_options.maintenance_interval_seconds,
                     "Seconds between lifecycle-policy and garbage-collection runs")
      ->capture_default_str();
  server->add_option("--alarm-evaluation-interval", server_options.alarm_evaluation_interval_seconds,
                     "Seconds between evaluations of the CloudWatch alarms (tests use 1)")
      ->capture_default_str();
  server->add_option("--metrics-interval", server_options.metrics_interval_seconds,
                     "Seconds between the publications of wharf's own CloudWatch metrics (AWS: 60)")
      ->capture_default_str();
  server->add_option("--target-tracking-period", server_options.target_tracking_period_seconds,
                     "Period in seconds of the CloudWatch alarms Application Auto Scaling target tracking policies "
                     "make (AWS: 60; tests use 1)")
      ->check(CLI::IsMember({1, 5, 10, 30, 60, 120, 180, 240, 300}))
      ->capture_default_str();
  server->add_option("--lb-bind", server_options.lb_bind_address,
                     "Address load balancer listeners bind (a listener's port on this address)")
      ->capture_default_str();
  server->add_option("--vpc-cidr", server_options.vpc_cidr,
                     "IPv4 CIDR of the default VPC created on first start (its subnets are /20s); default AWS's "
                     "172.31.0.0/16, or 10.213.0.0/16 when this host already uses part of it");
  server->add_option("--public-ip-pool", server_options.public_ip_pool,
                     "IPv4 CIDR that elastic IPs (AllocateAddress) are handed out from")
      ->capture_default_str();
  server->add_option("--lb-threads", server_options.lb_threads, "Load balancer event loops (0: one per core)");
  server->add_option("--dns-upstream", server_options.dns_upstreams,
                     "Where the VPC resolver forwards names that are not the VPC's own, IP[:PORT] "
                     "(repeatable; default: the nameservers of /etc/resolv.conf)");
  server->add_option("--dns-listen", server_options.dns_listen,
                     "Also answer for VPC on IP:PORT from the host, VPC=IP:PORT (repeatable; tests, benchmarks)");
  server->add_flag("!--no-local-agent", server_options.local_agent,
                   "Do not run this machine's node (tasks then need a `wharf agent`)");
  server->add_option("--runtime", server_options.runtime, "OCI runtime of the local node: runc or crun")
      ->capture_default_str();
  server->add_option("--fargate-overcommit", server_options.fargate_overcommit,
                     "FARGATE tasks may reserve this many times a node's CPU and memory (EC2 tasks: 1)")
      ->check(CLI::Range(1.0, 1000.0))
      ->capture_default_str();
  server->add_option("--console-dir", server_options.console_dir,
                     "The web console's built files, served under /console/ (default: console/ beside this binary)");
  server->add_flag("--dev", server_options.dev,
                   "Enable POST /_wharf/reset and accept any well-formed SigV4 credentials");

  wharf::agent::AgentOptions agent_options;
  std::string server_url;
  auto* agent = app.add_subcommand("agent", "Run a node: register it with a server and run its tasks");
  agent->add_option("--server", server_url, "The wharf server, http://HOST:PORT")->required();
  agent->add_option("--data-dir", agent_options.data_dir, "Node state: images, task files, runtime state")
      ->required();
  agent->add_option("--cluster", agent_options.cluster, "The cluster to join")->capture_default_str();
  agent->add_option("--region", agent_options.server.region, "AWS region name")->capture_default_str();
  agent->add_option("--availability-zone", agent_options.availability_zone, "Default: <region>a");
  agent->add_option("--runtime", agent_options.runtime, "OCI runtime: runc or crun")->capture_default_str();
  agent->add_option("--usage-interval", agent_options.usage_interval_seconds,
                    "Seconds between each task's cpu and memory reports (AWS/ECS metrics)")
      ->capture_default_str();
  std::vector<std::string> agent_dns_upstreams;
  agent->add_option("--dns-upstream", agent_dns_upstreams,
                    "Where the VPC resolver forwards names it does not hold (default: /etc/resolv.conf's)");
  agent->add_option("--access-key-id", agent_options.server.access_key_id, "Default: $AWS_ACCESS_KEY_ID");
  agent->add_option("--secret-access-key", agent_options.server.secret_access_key,
                    "Default: $AWS_SECRET_ACCESS_KEY");

  CLI11_PARSE(app, argc, argv);
  wharf::InitLogging(log_level);
  if (server->parsed()) return RunServer(server_options);
  if (agent->parsed()) return RunAgent(server_url, agent_options, agent_dns_upstreams);
  return 0;
}
