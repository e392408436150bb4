// wharf: AWS ECS + Fargate + ALB + ECR + CloudWatch Logs on your own Linux machines.
// Flags and wiring only; the work is in src/.
#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>

#include "base/logging.h"
#include "server/server.h"

namespace {

// Blocks SIGTERM/SIGINT in every thread (call before any thread starts) and waits for one.
sigset_t BlockStopSignals() {
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
  server->add_option("--region", server_options.region, "AWS region name")->capture_default_str();
  server->add_option("--account-id", server_options.account_id, "AWS account id")->capture_default_str();
  server->add_option("--store", server_options.store_url,
                     "sqlite (in the data dir), sqlite:///path.db, memory or etcd://host:port[,host:port]")
      ->capture_default_str();
  server->add_option("--threads", server_options.threads, "API event loops (0: one per core)");
  server->add_option("--registry-host", server_options.registry_host,
                     "HOST:PORT that ECR repositoryUri values name (default: the --listen address)");
  server->add_option("--registry-gc-grace", server_options.registry_gc_grace_seconds,
                     "Seconds an unreferenced blob is kept before garbage collection")
      ->capture_default_str();
  server->add_option("--maintenance-interval", server_options.maintenance_interval_seconds,
                     "Seconds between lifecycle-policy and garbage-collection runs")
      ->capture_default_str();
  server->add_option("--lb-bind", server_options.lb_bind_address,
                     "Address load balancer listeners bind (a listener's port on this address)")
      ->capture_default_str();
  server->add_option("--vpc-cidr", server_options.vpc_cidr,
                     "IPv4 CIDR of the default VPC created on first start (its subnets are /20s)")
      ->capture_default_str();
  server->add_option("--lb-threads", server_options.lb_threads, "Load balancer event loops (0: one per core)");
  server->add_flag("--dev", server_options.dev,
                   "Enable POST /_wharf/reset and accept any well-formed SigV4 credentials");

  CLI11_PARSE(app, argc, argv);
  wharf::InitLogging(log_level);
  if (server->parsed()) return RunServer(server_options);
  return 0;
}
