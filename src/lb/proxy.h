// The per-loop proxy: one client connection's request/response cycle through the rules,
// actions and target selection, and the loop's upstream connection pool.
//
// Everything here runs on the loop's own thread. What the loops share is read-only or
// atomic (Shared); each loop keeps its own counters and a cached view of the routing and
// health snapshots, refreshed only when their version counters move.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "lb/config.h"
#include "lb/health_checker.h"
#include "lb/routing.h"
#include "lb/traffic.h"

namespace wharf::lb {

class UpstreamPool;

// What every loop shares, read-only or atomic.
struct Shared {
  std::atomic<std::shared_ptr<const Routing>> routing;
  std::atomic<uint64_t> routing_version{0};  // bumped after every store to `routing`
  const HealthChecker* health = nullptr;
  size_t max_request_body = 0;

  void Publish(std::shared_ptr<const Routing> next) {
    routing.store(std::move(next));
    routing_version.fetch_add(1, std::memory_order_release);
  }
};

// Something the loop's idle sweep looks at once a second.
class Watched {
 public:
  virtual ~Watched() = default;
  virtual void CheckIdle(int64_t now_seconds) = 0;
};

// The routing snapshot and health as one loop sees them, with health resolved per target id.
// Immutable once made; a request pins the one it started with.
struct LoopView {
  std::shared_ptr<const Routing> routing;
  uint64_t routing_version = 0;
  std::shared_ptr<const HealthMap> health;
  uint64_t health_generation = 0;
  std::vector<uint8_t> healthy;            // by target id
  std::vector<int64_t> healthy_since_ms;   // by target id, 0 when unknown (slow start)
};

// One loop's state: its pool, its round-robin and outstanding-request counters, and the
// idle sweep. Timeouts are enforced by the sweep (a coarse clock read once a second) rather
// than a timer armed per socket operation: arming timers costs a system call per request.
struct LoopState {
  LoopState(boost::asio::io_context& io, Shared& shared);
  ~LoopState();
  boost::asio::io_context& io;
  Shared& shared;
  std::unique_ptr<UpstreamPool> pool;
  std::vector<uint64_t> round_robin;  // by group id
  std::vector<int64_t> outstanding;   // by target id: requests sent and not yet answered
  uint64_t random_state;
  int64_t now_seconds = 0;  // the coarse clock, steady, updated by the sweep
  TrafficReport traffic;    // since the last DataPlaneControl::TakeTraffic (lb/traffic.h)
  std::vector<std::weak_ptr<Watched>> watched;

  // The current view, remade when the routing or the health snapshot changed.
  const std::shared_ptr<const LoopView>& View();
  int64_t Outstanding(uint32_t target_id) const {
    return target_id < outstanding.size() ? outstanding[target_id] : 0;
  }
  // Closes idle pooled connections to endpoints no live target of `routing` uses.
  void PrunePool(const Routing& routing);

 private:
  void Sweep();
  std::shared_ptr<const LoopView> view_;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
};

// Serves one accepted client connection on `loop`.
void ServeClient(boost::asio::ip::tcp::socket socket, const std::string& listener_arn, uint16_t listener_port,
                 LoopState& loop);

}  // namespace wharf::lb
