#include "lb/data_plane.h"

#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <set>
#include <thread>

#include "base/logging.h"
#include "base/mutex.h"
#include "lb/health_checker.h"
#include "lb/proxy.h"

namespace wharf::lb {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One event loop: its thread, its proxy state, its acceptors.
class Loop {
 public:
  explicit Loop(Shared& shared) : state_(io_, shared) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Loop() {
    asio::post(io_, [this] { acceptors_.clear(); });
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  asio::io_context& io() { return io_; }
  LoopState& state() { return state_; }

  // Runs `f(state)` on the loop's thread and waits for it: the loop's own counters are
  // read there, never from another thread.
  template <typename F>
  void RunOnLoop(F&& f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f(state_);
      done.set_value();
    });
    done.get_future().wait();
  }

  // Binds on the calling thread (so the error comes back at once), then accepts on the loop.
  // `key` names the acceptor ("<listener arn>#<port>@<address>"); requests are routed by the arn.
  Status Listen(const std::string& key, const tcp::endpoint& endpoint) {
    std::string arn = key.substr(0, key.rfind('#'));
    auto acceptor = std::make_shared<tcp::acceptor>(io_);
    boost::system::error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    int one = 1;
    if (!ec && setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      return Status::Internal("SO_REUSEPORT failed");
    }
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::FailedPrecondition("cannot listen on " + endpoint.address().to_string() + ":" +
                                        std::to_string(endpoint.port()) + ": " + ec.message());
    }
    uint16_t port = endpoint.port();
    asio::post(io_, [this, key, arn, acceptor, port] {
      acceptors_[key] = acceptor;
      Accept(arn, acceptor, port);
    });
    return Status::OK();
  }

  void Unlisten(const std::string& key) {
    std::promise<void> done;
    asio::post(io_, [this, key, &done] {
      auto it = acceptors_.find(key);
      if (it != acceptors_.end()) {
        boost::system::error_code ignored;
        it->second->close(ignored);
        acceptors_.erase(it);
      }
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  void Accept(const std::string& arn, std::shared_ptr<tcp::acceptor> acceptor, uint16_t port) {
    acceptor->async_accept(io_, [this, arn, acceptor, port](boost::system::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      if (ec) {  // out of descriptors: back off instead of spinning on a readable socket
        auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
        timer->async_wait([this, arn, acceptor, port, timer](boost::system::error_code) {
          Accept(arn, acceptor, port);
        });
        return;
      }
      ServeClient(std::move(s), arn, port, state_);
      Accept(arn, acceptor, port);
    });
  }

  // One thread runs the loop. Reactor I/O stays locked: acceptors are opened and closed on
  // the caller's thread (Listen), which the unlocked hint would race with.
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  LoopState state_;
  std::map<std::string, std::shared_ptr<tcp::acceptor>> acceptors_;  // loop thread only
  std::thread thread_;
};

class DataPlane final : public DataPlaneControl {
 public:
  explicit DataPlane(const DataPlaneOptions& options) : options_(options) {
    shared_.health = &health_;
    shared_.max_request_body = options.max_request_body;
    {
      MutexLock lock(routing_mu_);
      shared_.Publish(ids_.Build(std::make_shared<const Config>()));
    }
    for (int i = 0; i < std::max(1, options.threads); ++i) loops_.push_back(std::make_unique<Loop>(shared_));
  }

  ~DataPlane() override { loops_.clear(); }

  // At the bind address, unless the listener is open on that port already (wherever).
  Status OpenListener(const std::string& arn, uint16_t port) override {
    MutexLock lock(mu_);
    auto open = listeners_.find(arn);
    if (open != listeners_.end() && open->second.port == port) return Status::OK();
    return OpenAt(arn, port, options_.bind_address);
  }

  void CloseListener(const std::string& arn) override {
    MutexLock lock(mu_);
    auto open = listeners_.find(arn);
    if (open == listeners_.end()) return;
    for (auto& loop : loops_) loop->Unlisten(AcceptorKey(arn, open->second));
    listeners_.erase(open);
  }

  void Apply(std::shared_ptr<const Config> config) override {
    health_.Update(config);
    Reconcile(*config);
    std::shared_ptr<const Routing> routing;
    {
      // Published under the lock, so Health() never sees a routing whose version the loops
      // have not been told yet (it would count a loop still routing by the older one).
      MutexLock lock(routing_mu_);
      routing = ids_.Build(std::move(config));
      ForgetUndrained(*routing);
      shared_.Publish(routing);
    }
    // Idle pooled connections to targets that take no more requests (deregistered,
    // draining) are closed: a drained target is left with no connection from us.
    for (auto& loop : loops_) {
      asio::post(loop->io(), [state = &loop->state(), routing] { state->PrunePool(*routing); });
    }
  }

  // Listeners follow the configuration too, so a server sharing the store with the one that
  // took the CreateListener call opens the port when its periodic rebuild sees it.
  // A listener marked `filtered` listens at every address (vpc_bind_address), any other at
  // the bind address; stale ones close before any other opens or moves.
  void Reconcile(const Config& config) {
    std::map<std::string, std::pair<uint16_t, std::string>> wanted;  // arn -> port, address
    for (const auto& l : config.listeners) wanted[l.arn] = {l.port, ListenAddress(l)};
    std::vector<std::string> stale;
    {
      MutexLock lock(mu_);
      for (const auto& [arn, open] : listeners_) {
        auto it = wanted.find(arn);
        if (it == wanted.end()) {
          stale.push_back(arn);
        } else if (open.port != it->second.first || open.address == it->second.second) {
          wanted.erase(it);  // in place, or its port moving (the API opened the new one first)
        }
      }
    }
    for (const auto& arn : stale) CloseListener(arn);
    for (const auto& [arn, where] : wanted) {
      MutexLock lock(mu_);
      Status st = OpenAt(arn, where.first, where.second);
      if (!st.ok()) LOG_WARN("msg=\"listener cannot open\" listener={} error=\"{}\"", arn, st.ToString());
    }
  }

  std::vector<TargetHealth> Health(const std::string& tg_arn) const override {
    std::shared_ptr<const Routing> routing;
    {
      MutexLock lock(routing_mu_);
      routing = shared_.routing.load();
    }
    const RoutedGroup* group = routing->FindGroup(tg_arn);
    std::vector<TargetHealth> out;
    if (!group) return out;
    bool routed = false;
    for (const auto& l : routing->config->listeners) {
      for (const auto& r : l.rules) {
        for (const auto& a : r.actions) {
          for (const auto& w : a.target_groups) routed = routed || w.arn == tg_arn;
        }
      }
    }
    std::set<uint32_t> drained = Drained(*group);
    auto health = health_.Snapshot();
    for (const auto& routed_target : group->targets) {
      const Target& t = *routed_target.target;
      if (drained.count(routed_target.id)) continue;  // deregistration complete
      TargetHealth th{t.id, t.port, "", "", ""};
      if (t.draining) {
        th.state = "draining";
        th.reason = "Target.DeregistrationInProgress";
        th.description = "Target deregistration is in progress";
      } else if (!routed) {
        th.state = "unused";
        th.reason = "Target.NotInUse";
        th.description = "Target group is not configured to receive traffic from the load balancer";
      } else if (auto h = health->find(routed_target.health_key); h != health->end()) {
        th.state = h->second.state;
        th.reason = h->second.reason;
        th.description = h->second.description;
      } else {
        th.state = "initial";
        th.reason = "Elb.RegistrationInProgress";
        th.description = "Target registration is in progress";
      }
      out.push_back(std::move(th));
    }
    return out;
  }

  TrafficReport TakeTraffic() override {
    TrafficReport report;
    for (auto& loop : loops_) {
      loop->RunOnLoop([&](LoopState& state) {
        report.Merge(state.traffic);
        state.traffic = TrafficReport{};
      });
    }
    std::shared_ptr<const Routing> routing;
    {
      MutexLock lock(routing_mu_);
      routing = shared_.routing.load();
    }
    for (const auto& l : routing->config->listeners) {
      auto& health = report.load_balancers[l.load_balancer_arn].health;
      for (const auto& r : l.rules) {
        for (const auto& a : r.actions) {
          for (const auto& w : a.target_groups) {
            if (health.count(w.arn)) continue;
            GroupHealth& counted = health[w.arn];
            for (const auto& t : Health(w.arn)) {
              if (t.state == "healthy") ++counted.healthy;
              if (t.state == "unhealthy") ++counted.unhealthy;
            }
          }
        }
      }
    }
    return report;
  }

 private:
  const std::string& ListenAddress(const Listener& l) const {
    return l.filtered && !options_.vpc_bind_address.empty() ? options_.vpc_bind_address : options_.bind_address;
  }

  struct OpenPort {
    uint16_t port = 0;
    std::string address;  // where it listens (ListenAddress)
  };
  // "<listener arn>#<port>@<address>": Loop::Listen routes by what comes before the '#'.
  static std::string AcceptorKey(const std::string& arn, uint16_t port, const std::string& address) {
    return arn + "#" + std::to_string(port) + "@" + address;
  }
  static std::string AcceptorKey(const std::string& arn, const OpenPort& open) {
    return AcceptorKey(arn, open.port, open.address);
  }

  // Binds `arn` at `bind`:`port`, then lets go of where it listened before (a port or an
  // address moving never leaves a moment with neither bound).
  Status OpenAt(const std::string& arn, uint16_t port, const std::string& bind) REQUIRES(mu_) {
    auto open = listeners_.find(arn);
    if (open != listeners_.end() && open->second.port == port && open->second.address == bind) return Status::OK();
    // SO_REUSEPORT would let two listeners share a port and split its traffic: refuse.
    for (const auto& [other, other_open] : listeners_) {
      if (other_open.port == port && other != arn) {
        return Status::FailedPrecondition("cannot listen on " + bind + ":" + std::to_string(port) +
                                          ": another listener uses it (" + other + ")");
      }
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(bind, ec);
    if (ec) return Status::InvalidArgument("bad load balancer bind address " + bind);
    std::string key = AcceptorKey(arn, port, bind);
    std::vector<Loop*> bound;
    for (auto& loop : loops_) {
      Status st = loop->Listen(key, tcp::endpoint(address, port));
      if (!st.ok()) {
        for (Loop* l : bound) l->Unlisten(key);
        return st;
      }
      bound.push_back(loop.get());
    }
    if (open != listeners_.end()) {
      for (auto& loop : loops_) loop->Unlisten(AcceptorKey(arn, open->second));
    }
    listeners_[arn] = OpenPort{port, bind};
    LOG_INFO("msg=\"listener open\" address={} port={} listener={}", bind, port, arn);
    return Status::OK();
  }

  // The group's draining targets with no request in flight on any loop: their
  // deregistration is complete (AWS: "If a deregistering target has no in-flight requests
  // and no active connections, Elastic Load Balancing immediately completes the
  // deregistration process"). Once drained a target stays drained for that deregistration:
  // no new request can reach it.
  //
  // Why asking the loops is exact: a loop picks a target and counts it in one handler,
  // with the routing it read in that handler. The query runs on each loop after the
  // routing that marks the target draining was published, so every pick made with an
  // older routing has already been counted, and every later pick skips the target.
  std::set<uint32_t> Drained(const RoutedGroup& group) const EXCLUDES(drain_mu_) {
    std::set<uint32_t> out;
    std::vector<const RoutedTarget*> pending;
    {
      MutexLock lock(drain_mu_);
      for (const auto& t : group.targets) {
        if (!t.target->draining) continue;
        auto it = drained_.find(t.id);
        if (it != drained_.end() && it->second == t.target->drain_deadline_ms) {
          out.insert(t.id);
        } else {
          pending.push_back(&t);
        }
      }
    }
    if (pending.empty()) return out;
    std::vector<int64_t> in_flight(pending.size(), 0);
    for (const auto& loop : loops_) {
      loop->RunOnLoop([&](LoopState& state) {
        for (size_t i = 0; i < pending.size(); ++i) in_flight[i] += state.Outstanding(pending[i]->id);
      });
    }
    MutexLock lock(drain_mu_);
    for (size_t i = 0; i < pending.size(); ++i) {
      if (in_flight[i] > 0) continue;
      drained_[pending[i]->id] = pending[i]->target->drain_deadline_ms;
      out.insert(pending[i]->id);
    }
    return out;
  }

  // A target registered again, or gone from the configuration, starts over.
  void ForgetUndrained(const Routing& routing) REQUIRES(routing_mu_) {
    MutexLock lock(drain_mu_);
    std::map<uint32_t, int64_t> still;
    for (const auto& [arn, group] : routing.groups) {
      for (const auto& t : group.targets) {
        auto it = drained_.find(t.id);
        if (t.target->draining && it != drained_.end() && it->second == t.target->drain_deadline_ms) {
          still.insert(*it);
        }
      }
    }
    drained_ = std::move(still);
  }

  // Constant after construction (health_ locks itself; shared_ is published under routing_mu_
  // and read by the loops without a lock).
  const DataPlaneOptions options_;
  HealthChecker health_;
  Shared shared_;
  std::vector<std::unique_ptr<Loop>> loops_;

  // Protected by mu_.
  Mutex mu_;
  std::map<std::string, OpenPort> listeners_ GUARDED_BY(mu_);

  // Protected by routing_mu_ (taken before drain_mu_).
  mutable Mutex routing_mu_ ACQUIRED_BEFORE(drain_mu_);
  RoutingIds ids_ GUARDED_BY(routing_mu_);

  // Protected by drain_mu_.
  mutable Mutex drain_mu_;
  mutable std::map<uint32_t, int64_t> drained_ GUARDED_BY(drain_mu_);  // target id -> its drain deadline
};

}  // namespace

Result<std::unique_ptr<DataPlaneControl>> CreateDataPlane(const DataPlaneOptions& options) {
  return std::unique_ptr<DataPlaneControl>(std::make_unique<DataPlane>(options));
}

}  // namespace wharf::lb
