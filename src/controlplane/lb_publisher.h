// LoadBalancerPublisher: keeps one data plane's configuration equal to the ELBv2 records in
// the store.
//
// Every server runs one for its own data plane (not only the leader): a store watch on the
// ELBv2 prefix (and on security groups and subnets, which say where a load balancer is
// reached, on tasks whose ENI joins or leaves its groups, which a load balancer's group may
// name (node_security.h EniMembership), and on route tables, NAT gateways and elastic IPs,
// which give a task its way out to public addresses) wakes it, so a change made through any server, or by the service controller's
// target registrations, reaches this data plane within milliseconds; it also rebuilds at the
// next drain deadline (a draining target leaves then) and, as a safety net for a watch that
// broke, every `resync` interval. PublishNow lets the API publish on the caller's thread right
// after its commit, so a client sees its own change at once.
//
// Builds and Applies are serialised, and each build records the store revision it read at:
// the data plane never receives a configuration older than the one it has, and a watch event
// already covered by a build does not cause another.
//
// Lifecycle: Start opens every stored listener's port at the bind address (one that cannot be
// bound is logged, the rest still open) and applies the stored configuration before it returns
// (seeding the task memberships it read, so a task live then that stops later is seen at once); destruction
// stops the watch and the thread. Thread-safety: PublishNow may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "controlplane/lb_config.h"
#include "lb/config.h"
#include "store/store.h"

namespace wharf::controlplane {

struct LoadBalancerPublisherOptions {
  InstanceAddress instance_address;
  std::chrono::milliseconds resync{10'000};
  // Called with each configuration before the data plane gets it, on the publishing thread
  // (one at a time, in revision order): what else follows the configuration, the load
  // balancers' table (lb/public_addresses.h). Returns the listeners' ports that table in
  // force holds: only those listen at every address (lb::Listener::filtered). The order per
  // configuration: listeners whose port the table is about to drop close or move to the bind
  // address, then the table applies, then listeners open or move to every address; a port
  // is never open at every address while the table in force lacks it. Empty: nothing, and no
  // listener is marked.
  std::function<std::set<uint16_t>(const lb::Config&)> published{};
};

class LoadBalancerPublisher {
 public:
  static Result<std::unique_ptr<LoadBalancerPublisher>> Start(store::Store& store, Clock& clock,
                                                              lb::DataPlaneControl& data_plane,
                                                              LoadBalancerPublisherOptions options);
  ~LoadBalancerPublisher();

  // Rebuilds from the store and applies, on the caller's thread.
  void PublishNow();
  // The same even when nothing changed since the last build: what `published` keeps beside
  // the configuration (the load balancers' table) was removed by someone else.
  void Republish();

  // The store revision the applied configuration was read at (tests and metrics).
  int64_t published_revision() const;

 private:
  LoadBalancerPublisher(store::Store& store, Clock& clock, lb::DataPlaneControl& data_plane,
                        LoadBalancerPublisherOptions options)
      : store_(store), clock_(clock), data_plane_(data_plane), options_(std::move(options)) {}
  // Builds and applies unless a build at `revision` or later was applied already.
  void Publish(int64_t wanted_revision) EXCLUDES(publish_mu_, mu_);
  void OnChanges(const std::vector<store::Event>& events);
  // Task records: only a change of an ENI's membership (it starts, stops, is deleted) wakes
  // the publisher; a task's other changes (container reports, health) cost nothing more.
  void OnTaskChanges(const std::vector<store::Event>& events);
  void Run();
  // Hands `config` to the data plane around options_.published, in the order above.
  void Deliver(std::shared_ptr<const lb::Config> config) REQUIRES(publish_mu_);

  // Constant after construction.
  store::Store& store_;
  Clock& clock_;
  lb::DataPlaneControl& data_plane_;
  const LoadBalancerPublisherOptions options_;

  Mutex publish_mu_;  // one build and Apply at a time, in revision order
  std::set<uint16_t> filtered_ports_ GUARDED_BY(publish_mu_);  // what published last returned
  int64_t retry_delay_ms_ GUARDED_BY(publish_mu_) = 0;  // after a refused table, 0: none refused

  mutable Mutex mu_;
  CondVar cv_;  // signalled on a change the watch reports and on stopping_
  int64_t published_revision_ GUARDED_BY(mu_) = 0;
  int64_t changed_revision_ GUARDED_BY(mu_) = 0;  // the newest change the watch reported
  int64_t next_deadline_ms_ GUARDED_BY(mu_) = 0;  // the earliest drain deadline, 0: none
  bool stopping_ GUARDED_BY(mu_) = false;
  std::map<std::string, std::string> memberships_ GUARDED_BY(mu_);  // task key -> its live ENI's reach

  std::vector<std::unique_ptr<store::Watch>> watches_;
  std::thread thread_;
};

}  // namespace wharf::controlplane
