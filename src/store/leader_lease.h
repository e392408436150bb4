// Leadership: which wharf server runs the controllers.
//
// At most one of the servers sharing a store may lead at a time. With an etcd store they
// elect one through an etcd lease (LeaderLease); with memory or SQLite only one server uses
// the store, so it always leads (a trivial Leadership). OpenLeadership picks by store URL.
//
// LeaderLease, the contract:
//  - Lifecycle. OpenLeadership grants a lease of `ttl` (failing with Unavailable if etcd
//    cannot be reached) and starts one background thread. Destroying it stops the thread,
//    steps down, and revokes the lease, which deletes the election key at once so another
//    server takes over within its poll_interval instead of waiting out the TTL.
//  - Election. Every poll_interval the thread reads the election key. If it is absent it
//    campaigns with one txn: "if create_revision(key) == 0 then put key = holder_id with
//    the lease". Whoever created the key leads for as long as its lease lives; the others
//    keep polling. The key lives outside the store's namespace ("/wharf/") on purpose, so
//    Store::Wipe does not depose the leader.
//  - Terms. The lease is renewed every ttl/3 (retried every poll_interval on failure). A
//    leader that has not renewed for 2/3 of the TTL steps down on its own, before etcd can
//    expire the lease and let another server in, so two leaders never overlap as long as
//    clocks run at similar rates. A leader that finds the key gone or someone else's also
//    steps down. A lease found expired is granted afresh.
//  - Callbacks. on_change(true) on gaining and on_change(false) on losing leadership, on the
//    lease thread, one at a time, never under a lock. A leader's destructor calls
//    on_change(false) on the destroying thread. The trivial leadership calls
//    on_change(true) inside OpenLeadership and on_change(false) when destroyed.
//
// Thread-safety: IsLeader may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace wharf::store {

class Leadership {
 public:
  virtual ~Leadership() = default;
  // True while this server holds leadership (a snapshot: it may change right after).
  virtual bool IsLeader() const = 0;
};

using LeadershipCallback = std::function<void(bool is_leader)>;

struct LeadershipOptions {
  std::string holder_id;  // this server's id, the election key's value while it leads
  std::string election_key = "/wharf-leader";
  std::chrono::milliseconds ttl{10000};
  std::chrono::milliseconds poll_interval{1000};
  LeadershipCallback on_change;  // may be empty
};

// An etcd lease election on `endpoints` ("host:port[,host:port...]").
Result<std::unique_ptr<Leadership>> OpenLeaderLease(const std::string& endpoints,
                                                    LeadershipOptions options);

// For the store named by `store_url` (as OpenStore takes it): a LeaderLease for
// "etcd://endpoints", otherwise a leadership that always leads.
Result<std::unique_ptr<Leadership>> OpenLeadership(std::string_view store_url,
                                                   LeadershipOptions options);

}  // namespace wharf::store
