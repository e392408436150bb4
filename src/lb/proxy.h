// The per-loop proxy: one client connection's request/response cycle through the rules,
// actions and target selection, and the loop's upstream connection pool.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lb/config.h"
#include "lb/health_checker.h"

namespace wharf::lb {

class UpstreamPool;

// What every loop shares, read-only or atomic.
struct Shared {
  std::atomic<std::shared_ptr<const Config>> config;
  const HealthChecker* health = nullptr;
  size_t max_request_body = 0;
};

// Something the loop's idle sweep looks at once a second.
class Watched {
 public:
  virtual ~Watched() = default;
  virtual void CheckIdle(int64_t now_seconds) = 0;
};

// One loop's state: its pool, its round-robin and outstanding-request counters, and the
// idle sweep. Timeouts are enforced by the sweep (a coarse clock read once a second) rather
// than a timer armed per socket operation: arming timers costs a system call per request.
struct LoopState {
  explicit LoopState(boost::asio::io_context& io);
  ~LoopState();
  boost::asio::io_context& io;
  std::unique_ptr<UpstreamPool> pool;
  std::map<std::string, uint64_t> round_robin;    // by target group
  std::map<std::string, int64_t> outstanding;      // by "ip:port"
  uint64_t random_state;
  int64_t now_seconds = 0;  // the coarse clock, steady, updated by the sweep
  std::vector<std::weak_ptr<Watched>> watched;

 private:
  void Sweep();
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
};

// Serves one accepted client connection on `loop`.
void ServeClient(boost::asio::ip::tcp::socket socket, const std::string& listener_arn, uint16_t listener_port,
                 Shared& shared, LoopState& loop);

}  // namespace wharf::lb
