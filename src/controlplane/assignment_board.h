// The agents' assignment feed: GET /_wharf/agent/v2/tasks?node=<id>&after=<revision>&wait=<s>
// (SigV4-signed for "ecs", like every other call an agent makes; docs/AGENT.md).
//
// It answers model::TaskAssignments, {"revision": R, "assignments": [...]}: a typed task
// assignment (model/task_assignment.h) for every task placed on the node that is not both
// desired and last STOPPED; the records' "_wharf" part never leaves the server. The answer comes at
// once when one of them changed after `after`, else as soon as one does, else after `wait`
// seconds (at most 30) with the same list: a long poll, so an agent hears of a RunTask or
// StopTask within milliseconds without polling hard.
//
// A node with awsvpc tasks also gets the security its ENIs need (controlplane/node_security.h):
// for it, a change of any security group or load balancer, and an awsvpc task's ENI joining or
// leaving its groups anywhere (it starts, stops or is deleted), are changes too, so that rules and member sets
// reach the node's firewall as fast as its tasks do.
//
// Such a node also gets the names of its ENIs' VPCs (controlplane/vpc_names.h, "vpcDns"), for
// its own VPC resolver: a change of any Cloud Map record or VPC attribute wakes it too.
//
// Thread-safety: Poll may be called from any thread; answers are sent from the store's
// watch thread, a timer thread or the caller's.
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "base/mutex.h"
#include "model/task_assignment.h"
#include "store/store.h"

namespace wharf::controlplane {

class AssignmentBoard {
 public:
  using Answer = std::function<void(Result<model::TaskAssignments>)>;

  // `region`: the store's region (the VPC hostnames' domain).
  static Result<std::unique_ptr<AssignmentBoard>> Start(store::Store& store, std::string region = "us-east-1");
  ~AssignmentBoard();

  void Poll(const std::string& node, int64_t after, std::chrono::milliseconds wait, Answer answer);

  // When the node last asked (agentConnected); nullopt when never since this server started.
  std::optional<std::chrono::steady_clock::time_point> LastSeen(const std::string& node) const;

 private:
  struct Waiter {
    std::string node;
    int64_t after;
    std::chrono::steady_clock::time_point deadline;
    Answer answer;
  };
  AssignmentBoard(store::Store& store, std::string region) : store_(store), region_(std::move(region)) {}
  // The node's tasks and the newest change among them.
  Result<std::pair<model::TaskAssignments, int64_t>> Snapshot(const std::string& node);
  void OnChanges(const std::vector<store::Event>& events) EXCLUDES(mu_);
  // A security group or load balancer changed: every node with ENIs may need to hear of it.
  void OnSecurityChanges(const std::vector<store::Event>& events) EXCLUDES(mu_);
  void WakeAll(int64_t revision) REQUIRES(mu_);
  void TimerLoop() EXCLUDES(mu_);

  // Constant after construction.
  store::Store& store_;
  const std::string region_;
  std::unique_ptr<store::Watch> watch_;  // set by Start, reset first by the destructor
  std::unique_ptr<store::Watch> group_watch_;  // ec2/security-groups/, likewise
  std::unique_ptr<store::Watch> lb_watch_;     // elbv2/load-balancers/ (their groups), likewise
  // ec2/route-tables/, ec2/nat-gateways/ and ec2/addresses/: the ENIs' way out and public
  // addresses (vpc_egress.h), likewise
  std::unique_ptr<store::Watch> route_watch_;
  std::unique_ptr<store::Watch> nat_watch_;
  std::unique_ptr<store::Watch> address_watch_;
  // servicediscovery/ and ec2/vpcs/: the names in "vpcDns", likewise
  std::unique_ptr<store::Watch> names_watch_;
  std::unique_ptr<store::Watch> vpc_watch_;
  std::unique_ptr<store::Watch> endpoint_watch_;  // interface endpoints: where tasks' calls go
  std::thread timer_;                    // runs TimerLoop(): started by Start

  // Protected by mu_.
  mutable Mutex mu_;
  CondVar cv_;  // signalled on a new waiter, a change and stopping_
  std::list<Waiter> waiters_ GUARDED_BY(mu_);
  // Per node, the revision of the newest change to its tasks that an event brought: a poll
  // whose snapshot was read before it is answered at once (Poll).
  std::map<std::string, int64_t> changed_at_ GUARDED_BY(mu_);
  std::map<std::string, std::chrono::steady_clock::time_point> last_seen_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  // The newest change that touches every node's security: a group, a load balancer or an
  // ENI's task, deletions included (which a listing cannot show).
  int64_t security_revision_ GUARDED_BY(mu_) = 0;
  // Every task key whose ENI is a live member of its groups -> EniMembership (node_security.h): a task's state
  // change that leaves it as it was (a container report, a health status) wakes its own node
  // only.
  std::map<std::string, std::string> memberships_ GUARDED_BY(mu_);
};

}  // namespace wharf::controlplane
