#include "controlplane/lb_publisher.h"

#include <algorithm>
#include <limits>

#include "base/logging.h"
#include "controlplane/node_security.h"
#include "model/json.h"
#include "model/task.h"
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

// What a task's record means to the load balancers: its ENI's membership of its groups and,
// for its way out, its subnet and public address. "" for a task without a live ENI.
std::string EniReach(const boost::json::object& task_record) {
  std::string membership = EniMembership(task_record);
  if (membership.empty()) return membership;
  auto eni = model::TaskRecord(task_record).eni();
  return membership + " | " + eni->subnet_id + " " + eni->public_ip;
}

}  // namespace

Result<std::unique_ptr<LoadBalancerPublisher>> LoadBalancerPublisher::Start(store::Store& store, Clock& clock,
                                                                             lb::DataPlaneControl& data_plane,
                                                                             LoadBalancerPublisherOptions options) {
  std::unique_ptr<LoadBalancerPublisher> p(new LoadBalancerPublisher(store, clock, data_plane, std::move(options)));
  // The tasks' memberships as they are now, and their watch from exactly then: a task live at
  // start that stops later is a change at once, not at the next resync.
  ASSIGN_OR_RETURN(store::Page tasks, store.List(model::keys::kTasks, "", 0));
  {
    MutexLock lock(p->mu_);
    for (const auto& kv : tasks.items) {
      auto task = ParseObject(kv.value);
      std::string reach = task.ok() ? EniReach(*task) : "";
      if (!reach.empty()) p->memberships_[kv.key] = std::move(reach);
    }
  }
  ASSIGN_OR_RETURN(int64_t revision, store.CurrentRevision());
  ASSIGN_OR_RETURN(auto config, BuildLbConfig(store, clock, p->options_.instance_address));
  // At the bind address first; at every address once the table holds their ports (Deliver).
  for (const auto& l : config->listeners) {
    Status s = data_plane.OpenListener(l.arn, l.port);
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
  {
    MutexLock publishing(p->publish_mu_);
    p->Deliver(std::move(config));
  }
  LoadBalancerPublisher* raw = p.get();
  // The load balancers' own security groups and their VPCs' subnets are part of where they
  // are reached (the groups' sources, the VPC's bridges): a change reaches the table at once.
  // Route tables, NAT gateways and elastic IPs decide which tasks have a way out to a public
  // address (lb_config.h).
  for (std::string_view prefix : {model::keys::kElbv2, model::keys::kSecurityGroups, model::keys::kSubnets,
                                  model::keys::kRouteTables, model::keys::kNatGateways, model::keys::kAddresses}) {
    ASSIGN_OR_RETURN(auto watch, store.WatchPrefix(prefix, revision, [raw](const std::vector<store::Event>& events) {
      raw->OnChanges(events);
    }));
    p->watches_.push_back(std::move(watch));
  }
  ASSIGN_OR_RETURN(auto task_watch, store.WatchPrefix(model::keys::kTasks, tasks.revision, [raw](const std::vector<store::Event>& events) {
    raw->OnTaskChanges(events);
  }));
  p->watches_.push_back(std::move(task_watch));
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

void LoadBalancerPublisher::Republish() { Publish(std::numeric_limits<int64_t>::max()); }

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
  Deliver(std::move(config).value());
}

void LoadBalancerPublisher::Deliver(std::shared_ptr<const lb::Config> config) {
  if (!options_.published) return data_plane_.Apply(std::move(config));
  auto marked = [&config](const std::set<uint16_t>& filtered) {
    auto copy = std::make_shared<lb::Config>(*config);
    for (auto& l : copy->listeners) l.filtered = filtered.count(l.port) > 0;
    return std::shared_ptr<const lb::Config>(std::move(copy));
  };
  std::set<uint16_t> ports, kept;
  for (const auto& l : config->listeners) ports.insert(l.port);
  for (uint16_t port : filtered_ports_) {
    if (ports.count(port)) kept.insert(port);
  }
  // A listener open at every address on a port the table is about to drop (deleted, moved)
  // closes first, or moves to the bind address.
  if (kept != filtered_ports_) data_plane_.Apply(marked(kept));
  filtered_ports_ = options_.published(*config);
  if (!std::includes(filtered_ports_.begin(), filtered_ports_.end(), ports.begin(), ports.end())) {
    // The table was refused: those listeners wait at the bind address; try again in a second,
    // then less and less often (up to the resync interval).
    retry_delay_ms_ = retry_delay_ms_ == 0 ? 1000 : std::min<int64_t>(retry_delay_ms_ * 2, options_.resync.count());
    MutexLock lock(mu_);
    int64_t retry = EpochMs(clock_) + retry_delay_ms_;
    if (next_deadline_ms_ == 0 || retry < next_deadline_ms_) next_deadline_ms_ = retry;
  } else {
    retry_delay_ms_ = 0;
  }
  data_plane_.Apply(marked(filtered_ports_));
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

void LoadBalancerPublisher::OnTaskChanges(const std::vector<store::Event>& events) {
  std::vector<std::string> memberships;
  memberships.reserve(events.size());
  for (const auto& e : events) {
    auto task = e.type == store::Event::Type::kPut ? ParseObject(e.kv.value) : Result<boost::json::object>(Status::NotFound(""));
    memberships.push_back(task.ok() ? EniReach(*task) : "");
  }
  int64_t changed = 0;
  {
    MutexLock lock(mu_);
    for (size_t i = 0; i < events.size(); ++i) {
      auto it = memberships_.find(events[i].kv.key);
      if ((it == memberships_.end() ? std::string() : it->second) == memberships[i]) continue;
      changed = std::max(changed, events[i].kv.mod_revision);
      if (memberships[i].empty()) {
        memberships_.erase(events[i].kv.key);
      } else {
        memberships_[events[i].kv.key] = std::move(memberships[i]);
      }
    }
    if (changed == 0) return;
    changed_revision_ = std::max(changed_revision_, changed);
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
