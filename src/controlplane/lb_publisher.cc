#include "controlplane/lb_publisher.h"

#include <algorithm>
#include <limits>

#include "base/logging.h"
#include "model/keys.h"

namespace wharf::controlplane {
namespace {

int64_t EpochMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
}

// The earliest moment a draining target leaves the configuration, 0 when none drains.
int64_t NextDrainDeadline(const lb::Config& config) {
  int64_t next = 0;
  for (const auto& [arn, group] : config.target_groups) {
    for (const auto& t : group.targets) {
      if (t.draining && (next == 0 || t.drain_deadline_ms < next)) next = t.drain_deadline_ms;
    }
  }
  return next;
}

}  // namespace

Result<std::unique_ptr<LoadBalancerPublisher>> LoadBalancerPublisher::Start(store::Store& store, Clock& clock,
                                                                             lb::DataPlaneControl& data_plane,
                                                                             LoadBalancerPublisherOptions options) {
  std::unique_ptr<LoadBalancerPublisher> p(new LoadBalancerPublisher(store, clock, data_plane, std::move(options)));
  ASSIGN_OR_RETURN(int64_t revision, store.CurrentRevision());
  ASSIGN_OR_RETURN(auto config, BuildLbConfig(store, clock, p->options_.instance_address));
  for (const auto& l : config->listeners) {
    Status s = data_plane.OpenListener(l.arn, l.port, l.internal);
    if (!s.ok()) {
      LOG_ERROR("msg=\"listener port cannot be bound\" listener={} port={} error=\"{}\"", l.arn, l.port,
                s.ToString());
    }
  }
  {
    MutexLock lock(p->mu_);
    p->published_revision_ = revision;
    p->next_deadline_ms_ = NextDrainDeadline(*config);
  }
  data_plane.Apply(std::move(config));
  LoadBalancerPublisher* raw = p.get();
  // The load balancers' own security groups and their VPCs' subnets are part of where they
  // are reached (the groups' sources, the VPC's bridges): a change reaches the table at once.
  for (std::string_view prefix : {model::keys::kElbv2, model::keys::kSecurityGroups, model::keys::kSubnets}) {
    ASSIGN_OR_RETURN(auto watch, store.WatchPrefix(prefix, revision, [raw](const std::vector<store::Event>& events) {
      raw->OnChanges(events);
    }));
    p->watches_.push_back(std::move(watch));
  }
  p->thread_ = std::thread([raw] { raw->Run(); });
  return p;
}

LoadBalancerPublisher::~LoadBalancerPublisher() {
  watches_.clear();
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void LoadBalancerPublisher::PublishNow() {
  auto revision = store_.CurrentRevision();
  Publish(revision.ok() ? *revision : std::numeric_limits<int64_t>::max());
}

int64_t LoadBalancerPublisher::published_revision() const {
  MutexLock lock(mu_);
  return published_revision_;
}

void LoadBalancerPublisher::Publish(int64_t wanted_revision) {
  MutexLock publishing(publish_mu_);
  {
    MutexLock lock(mu_);
    if (wanted_revision != std::numeric_limits<int64_t>::max() && published_revision_ >= wanted_revision) return;
  }
  // The revision is read before the records, so every change after it is either in this
  // build or announced again by the watch.
  auto revision = store_.CurrentRevision();
  auto config = BuildLbConfig(store_, clock_, options_.instance_address);
  if (!revision.ok() || !config.ok()) {
    // The change is committed; the next build carries it.
    LOG_ERROR("msg=\"load balancer configuration build failed\" error=\"{}\"",
              (revision.ok() ? config.status() : revision.status()).ToString());
    MutexLock lock(mu_);
    next_deadline_ms_ = EpochMs(clock_) + 1000;  // try again in a second, not in a busy loop
    return;
  }
  {
    MutexLock lock(mu_);
    published_revision_ = std::max(published_revision_, *revision);
    next_deadline_ms_ = NextDrainDeadline(**config);
  }
  if (options_.published) options_.published(**config);
  data_plane_.Apply(std::move(config).value());
}

void LoadBalancerPublisher::OnChanges(const std::vector<store::Event>& events) {
  int64_t newest = 0;
  for (const auto& e : events) newest = std::max(newest, e.kv.mod_revision);
  {
    MutexLock lock(mu_);
    changed_revision_ = std::max(changed_revision_, newest);
  }
  cv_.SignalAll();
}

// Waits for a change the applied configuration does not cover, the next drain deadline or
// the resync interval, whichever comes first, then publishes.
void LoadBalancerPublisher::Run() {
  MutexLock lock(mu_);
  while (!stopping_) {
    auto wait = options_.resync;
    if (next_deadline_ms_ > 0) {
      auto until_deadline = std::chrono::milliseconds(std::max<int64_t>(0, next_deadline_ms_ - EpochMs(clock_)));
      wait = std::min(wait, until_deadline + std::chrono::milliseconds(1));
    }
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (!stopping_ && changed_revision_ <= published_revision_ && cv_.WaitUntil(mu_, deadline)) {
    }
    if (stopping_) break;
    bool changed = changed_revision_ > published_revision_;
    int64_t wanted = changed ? changed_revision_ : std::numeric_limits<int64_t>::max();
    lock.Unlock();
    Publish(wanted);
    lock.Lock();
  }
}

}  // namespace wharf::controlplane
