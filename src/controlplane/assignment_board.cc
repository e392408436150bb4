#include "controlplane/assignment_board.h"

#include <map>
#include <set>

#include "base/logging.h"
#include "controlplane/node_security.h"
#include "controlplane/records.h"
#include "controlplane/vpc_egress.h"
#include "controlplane/vpc_names.h"
#include "model/json.h"
#include "model/keys.h"
#include "model/task.h"

namespace wharf::controlplane {
namespace json = boost::json;

namespace {
constexpr std::string_view kTasksPrefix = model::keys::kTasks;
constexpr std::string_view kCloudMapPrefix = "servicediscovery/";  // namespaces, services, instances
}

Result<std::unique_ptr<AssignmentBoard>> AssignmentBoard::Start(store::Store& store, std::string region) {
  std::unique_ptr<AssignmentBoard> board(new AssignmentBoard(store, std::move(region)));
  // The tasks' memberships as they are now, and their watch from exactly then: a task live at
  // start that stops later wakes every node at once, not at the next resync.
  ASSIGN_OR_RETURN(store::Page tasks, store.List(kTasksPrefix, "", 0));
  {
    MutexLock lock(board->mu_);
    for (const auto& kv : tasks.items) {
      auto task = ParseObject(kv.value);
      std::string membership = task.ok() ? EniMembership(*task) : "";
      if (!membership.empty()) board->memberships_[kv.key] = std::move(membership);
    }
  }
  ASSIGN_OR_RETURN(int64_t now, store.CurrentRevision());
  AssignmentBoard* raw = board.get();
  ASSIGN_OR_RETURN(board->watch_, store.WatchPrefix(kTasksPrefix, tasks.revision, [raw](const std::vector<store::Event>& events) {
                     raw->OnChanges(events);
                   }));
  ASSIGN_OR_RETURN(board->group_watch_,
                   store.WatchPrefix(model::keys::kSecurityGroups, now,
                                     [raw](const std::vector<store::Event>& events) { raw->OnSecurityChanges(events); }));
  ASSIGN_OR_RETURN(board->lb_watch_,
                   store.WatchPrefix(model::keys::kLoadBalancers, now,
                                     [raw](const std::vector<store::Event>& events) { raw->OnSecurityChanges(events); }));
  for (auto [prefix, watch] : {std::pair{model::keys::kRouteTables, &board->route_watch_},
                                std::pair{model::keys::kNatGateways, &board->nat_watch_},
                                std::pair{model::keys::kAddresses, &board->address_watch_},
                                std::pair{kCloudMapPrefix, &board->names_watch_},
                                std::pair{model::keys::kVpcs, &board->vpc_watch_},
                                std::pair{model::keys::kVpcEndpoints, &board->endpoint_watch_}}) {
    ASSIGN_OR_RETURN(*watch, store.WatchPrefix(prefix, now, [raw](const std::vector<store::Event>& events) {
                       raw->OnSecurityChanges(events);
                     }));
  }
  board->timer_ = std::thread([raw] { raw->TimerLoop(); });
  return board;
}

AssignmentBoard::~AssignmentBoard() {
  watch_.reset();
  group_watch_.reset();
  lb_watch_.reset();
  route_watch_.reset();
  nat_watch_.reset();
  address_watch_.reset();
  names_watch_.reset();
  vpc_watch_.reset();
  endpoint_watch_.reset();
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (timer_.joinable()) timer_.join();
}

Result<std::pair<model::TaskAssignments, int64_t>> AssignmentBoard::Snapshot(const std::string& node) {
  ASSIGN_OR_RETURN(store::Page page, store_.List(kTasksPrefix, "", 0));
  model::TaskAssignments answer;
  answer.revision = page.revision;
  int64_t newest = 0, enis_newest = 0;
  bool has_eni = false;
  std::map<std::string, std::string> eni_ids;  // task ARN -> its ENI's id
  std::vector<json::object> tasks;
  tasks.reserve(page.items.size());
  for (const auto& kv : page.items) {
    ASSIGN_OR_RETURN(json::object value, ParseObject(kv.value));
    model::TaskRecord task(value);
    if (task.network_mode() == "awsvpc") enis_newest = std::max(enis_newest, kv.mod_revision);
    if (task.node() == node) {
      newest = std::max(newest, kv.mod_revision);  // a task leaving the list is a change too
      if (!(task.stopped() && task.desired_status() == "STOPPED")) {
        if (auto eni = task.eni()) eni_ids[task.arn()] = eni->eni_id;
        answer.assignments.push_back(model::AssignmentOf(task));
        has_eni = has_eni || answer.assignments.back().eni.has_value();
      }
    }
    tasks.push_back(std::move(value));
  }
  if (!has_eni) return std::make_pair(std::move(answer), newest);

  // Its ENIs' security: every group and load balancer, and every ENI of the cluster's tasks,
  // counts as a change of this node's answer.
  ASSIGN_OR_RETURN(std::vector<StoredRecord> groups, ReadRecords(store_, model::keys::kSecurityGroups));
  ASSIGN_OR_RETURN(std::vector<StoredRecord> lbs, ReadRecords(store_, model::keys::kLoadBalancers));
  std::vector<json::object> group_values, lb_values;
  for (auto& g : groups) {
    newest = std::max(newest, g.mod_revision);
    group_values.push_back(std::move(g.value));
  }
  for (auto& lb : lbs) {
    newest = std::max(newest, lb.mod_revision);
    lb_values.push_back(std::move(lb.value));
  }
  newest = std::max(newest, enis_newest);
  // Its ENIs' way out, from their subnets' route tables, decided anew on every answer.
  std::vector<json::object> route_tables, nat_gateways, addresses, endpoints;
  for (auto [prefix, into] : {std::pair{model::keys::kRouteTables, &route_tables},
                              std::pair{model::keys::kNatGateways, &nat_gateways},
                              std::pair{model::keys::kVpcEndpoints, &endpoints},
                              std::pair{model::keys::kAddresses, &addresses}}) {
    ASSIGN_OR_RETURN(std::vector<StoredRecord> records, ReadRecords(store_, prefix));
    for (auto& r : records) {
      newest = std::max(newest, r.mod_revision);
      into->push_back(std::move(r.value));
    }
  }
  // An elastic IP associated with a task's interface takes the place of its public address.
  std::map<std::string, std::string> elastic_ips;  // ENI id -> its elastic IP
  for (const json::object& address : addresses) {
    std::string eni = GetString(address, "NetworkInterfaceId");
    if (!eni.empty()) elastic_ips[eni] = GetString(address, "PublicIp");
  }
  std::map<std::string, bool> private_dns;  // VPC id -> PrivateDnsWorks
  for (auto& a : answer.assignments) {
    if (!a.eni || a.eni->vpc_id.empty() || private_dns.count(a.eni->vpc_id)) continue;
    ASSIGN_OR_RETURN(auto vpc, ReadRecord(store_, model::keys::VpcKey(a.eni->vpc_id)));
    if (vpc) newest = std::max(newest, vpc->mod_revision);  // its DNS attributes changed
    private_dns[a.eni->vpc_id] = PrivateDnsWorks(vpc ? &vpc->value : nullptr);
  }
  for (auto& a : answer.assignments) {
    if (!a.eni || a.eni->vpc_id.empty()) continue;
    const bool dns = private_dns[a.eni->vpc_id];
    if (auto e = elastic_ips.find(eni_ids[a.task_arn]); e != elastic_ips.end()) a.eni->public_ip = e->second;
    EniEgress way = ResolveEniEgress(route_tables, nat_gateways, a.eni->subnet_id, a.eni->vpc_id, a.eni->public_ip);
    a.eni->egress = way.routes_outside;
    a.eni->outside_address = way.outside_address;
    a.eni->pulls_from =
        PullReach(way, ReachesEcrThroughEndpoints(endpoints, route_tables, a.eni->subnet_id, a.eni->vpc_id, dns));
    if (a.eni->pulls_from != "any") {
      a.eni->endpoint_services = EndpointServices(endpoints, route_tables, a.eni->subnet_id, a.eni->vpc_id, dns);
    }
    // Every endpoint's own names answer it, way out or not; with private DNS on, a service's
    // name too (marked private_dns).
    for (EndpointInterface& e : EndpointInterfaces(endpoints, group_values, a.eni->subnet_id, a.eni->vpc_id, a.eni->ip,
                                                   a.eni->security_groups, dns)) {
      a.eni->endpoints.push_back({std::move(e.service), std::move(e.address), e.admitted, std::move(e.addresses),
                                  std::move(e.vpc_endpoint_id), e.private_dns});
    }
  }
  {
    MutexLock lock(mu_);
    newest = std::max(newest, security_revision_);
  }
  answer.security = ResolveNodeSecurity(node, tasks, group_values, lb_values, endpoints);
  // The names of its ENIs' VPCs, for its resolver (a VPC without DNS support: one that
  // says so, and the resolver stays silent there).
  std::set<std::string> vpcs;
  for (const auto& a : answer.assignments) {
    if (a.eni && !a.eni->vpc_id.empty()) vpcs.insert(a.eni->vpc_id);
  }
  for (const auto& vpc : vpcs) {
    ASSIGN_OR_RETURN(auto table, BuildVpcDnsTable(store_, vpc, region_));
    answer.vpc_dns.push_back(std::move(table));
  }
  return std::make_pair(std::move(answer), newest);
}

void AssignmentBoard::Poll(const std::string& node, int64_t after, std::chrono::milliseconds wait, Answer answer) {
  auto now = std::chrono::steady_clock::now();
  wait = std::min(wait, std::chrono::milliseconds(30000));
  {
    MutexLock lock(mu_);
    last_seen_[node] = now;
  }
  auto snapshot = Snapshot(node);
  if (!snapshot.ok()) return answer(snapshot.status());
  // A change since `after` (or a first call): answer now; otherwise at the next change.
  if (after == 0 || snapshot->second > after || wait.count() == 0) return answer(std::move(snapshot->first));
  MutexLock lock(mu_);
  // A change committed after the snapshot's read whose event came before this waiter: no
  // later event will answer it, so it is due at once (else it waited out `wait`, 20 s).
  auto changed = changed_at_.find(node);
  int64_t missed = std::max(security_revision_, changed == changed_at_.end() ? 0 : changed->second);
  auto deadline = missed > snapshot->first.revision ? std::chrono::steady_clock::time_point::min() : now + wait;
  waiters_.push_back(Waiter{node, after, deadline, std::move(answer)});
  cv_.SignalAll();
}

std::optional<std::chrono::steady_clock::time_point> AssignmentBoard::LastSeen(const std::string& node) const {
  MutexLock lock(mu_);
  auto it = last_seen_.find(node);
  if (it == last_seen_.end()) return std::nullopt;
  return it->second;
}

void AssignmentBoard::OnChanges(const std::vector<store::Event>& events) {
  std::map<std::string, int64_t> nodes;  // node -> its newest change here
  std::vector<std::pair<std::string, std::string>> memberships;  // task key -> EniMembership
  for (const auto& e : events) {
    auto task = ParseObject(e.kv.value);
    if (task.ok()) {
      int64_t& newest = nodes[model::TaskRecord(*task).node()];
      newest = std::max(newest, e.kv.mod_revision);
    }
    memberships.emplace_back(e.kv.key, task.ok() && e.type == store::Event::Type::kPut ? EniMembership(*task) : "");
  }
  MutexLock lock(mu_);
  for (const auto& [node, revision] : nodes) changed_at_[node] = std::max(changed_at_[node], revision);
  int64_t eni_change = 0;  // an ENI joined or left its groups: every node's member sets change
  for (size_t i = 0; i < events.size(); ++i) {
    auto& [key, membership] = memberships[i];
    auto it = memberships_.find(key);
    if ((it == memberships_.end() ? std::string() : it->second) == membership) continue;
    eni_change = std::max(eni_change, events[i].kv.mod_revision);
    if (membership.empty()) {
      memberships_.erase(key);
    } else {
      memberships_[key] = std::move(membership);
    }
  }
  if (eni_change) return WakeAll(eni_change);
  for (auto& w : waiters_) {
    // Any change to one of its tasks answers the waiter (its deadline becomes now).
    if (nodes.count(w.node)) w.deadline = std::chrono::steady_clock::time_point::min();
  }
  cv_.SignalAll();
}

void AssignmentBoard::OnSecurityChanges(const std::vector<store::Event>& events) {
  int64_t revision = 0;
  for (const auto& e : events) revision = std::max(revision, e.kv.mod_revision);
  MutexLock lock(mu_);
  WakeAll(revision);
}

// Every waiter answers now: a node without ENIs gets the same list again, which costs it
// one poll; telling which nodes a group change concerns would cost a read per change.
void AssignmentBoard::WakeAll(int64_t revision) {
  security_revision_ = std::max(security_revision_, revision);
  for (auto& w : waiters_) w.deadline = std::chrono::steady_clock::time_point::min();
  cv_.SignalAll();
}

void AssignmentBoard::TimerLoop() {
  MutexLock lock(mu_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    std::vector<Waiter> due;
    auto next = now + std::chrono::seconds(1);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->deadline <= now) {
        due.push_back(std::move(*it));
        it = waiters_.erase(it);
      } else {
        next = std::min(next, it->deadline);
        ++it;
      }
    }
    if (due.empty()) {
      cv_.WaitUntil(mu_, next);
      continue;
    }
    lock.Unlock();
    for (auto& w : due) {
      auto snapshot = Snapshot(w.node);
      if (!snapshot.ok()) {
        w.answer(snapshot.status());
      } else {
        w.answer(std::move(snapshot->first));
      }
    }
    lock.Lock();
  }
  for (auto& w : waiters_) w.answer(Status::Unavailable("server stopping"));
  waiters_.clear();
}

}  // namespace wharf::controlplane
