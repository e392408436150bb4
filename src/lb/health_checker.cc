#include "lb/health_checker.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <set>

#include "base/logging.h"
#include "lb/socket_mark.h"

namespace wharf::lb {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string HealthKey(const std::string& target_group_arn, const Target& target) {
  return target_group_arn + "|" + target.ip + ":" + std::to_string(target.port);
}

bool MatcherAccepts(const std::string& matcher, int status) {
  size_t start = 0;
  while (start <= matcher.size()) {
    size_t comma = matcher.find(',', start);
    std::string part = matcher.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t dash = part.find('-');
    int lo = std::atoi(part.c_str()), hi = dash == std::string::npos ? lo : std::atoi(part.c_str() + dash + 1);
    if (status >= lo && status <= hi) return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

// One target's checks: a timer, one probe at a time, and the counters.
class Probe : public std::enable_shared_from_this<Probe> {
 public:
  using Publish = std::function<void(const std::string& key, const HealthState& state)>;

  Probe(asio::io_context& io, std::string key, Target target, HealthCheck check, uint16_t traffic_port,
        Publish publish)
      : io_(io), timer_(io), key_(std::move(key)), target_(std::move(target)), check_(std::move(check)),
        publish_(std::move(publish)) {
    port_ = check_.port == "traffic-port" ? traffic_port : static_cast<uint16_t>(std::atoi(check_.port.c_str()));
  }

  void Start() { Run(); }
  void Stop() {
    stopped_ = true;
    timer_.cancel();
    if (stream_) stream_->cancel();
  }
  bool SameAs(const Target& t, const HealthCheck& c) const {
    return t.ip == target_.ip && t.port == target_.port && c.path == check_.path && c.port == check_.port &&
           c.interval_seconds == check_.interval_seconds && c.timeout_seconds == check_.timeout_seconds &&
           c.healthy_threshold == check_.healthy_threshold && c.unhealthy_threshold == check_.unhealthy_threshold &&
           c.matcher == check_.matcher && t.socket_mark == target_.socket_mark;
  }

 private:
  void Run() {
    if (stopped_) return;
    beast::error_code ec;
    auto address = asio::ip::make_address(target_.ip, ec);
    if (ec) return Record(false, "Target.FailedHealthChecks", "Health checks failed: invalid target address");
    stream_ = std::make_shared<beast::tcp_stream>(io_);
    SetSocketMark(stream_->socket(), address.is_v4() ? tcp::v4() : tcp::v6(), target_.socket_mark);
    SetSocketDevice(stream_->socket(), address.is_v4() ? tcp::v4() : tcp::v6(), target_.bind_device);
    stream_->expires_after(std::chrono::seconds(check_.timeout_seconds));
    auto self = shared_from_this();
    stream_->async_connect(tcp::endpoint(address, port_), [self](beast::error_code ec) {
      if (self->stopped_) return;
      if (ec) {
        bool timeout = ec == beast::error::timeout;
        return self->Record(false, timeout ? "Target.Timeout" : "Target.FailedHealthChecks",
                            timeout ? "Request timed out" : "Health checks failed");
      }
      self->request_ = {http::verb::get, self->check_.path, 11};
      self->request_.set(http::field::host, self->target_.ip + ":" + std::to_string(self->port_));
      self->request_.set(http::field::user_agent, "ELB-HealthChecker/2.0");
      self->request_.set(http::field::connection, "close");
      http::async_write(*self->stream_, self->request_, [self](beast::error_code ec, size_t) {
        if (self->stopped_) return;
        if (ec) return self->Failed(ec);
        self->response_ = {};
        http::async_read(*self->stream_, self->buffer_, self->response_, [self](beast::error_code ec, size_t) {
          if (self->stopped_) return;
          if (ec && ec != http::error::end_of_stream) return self->Failed(ec);
          int status = self->response_.result_int();
          if (MatcherAccepts(self->check_.matcher, status)) return self->Record(true, "", "");
          self->Record(false, "Target.ResponseCodeMismatch",
                       "Health checks failed with these codes: [" + std::to_string(status) + "]");
        });
      });
    });
  }

  void Failed(beast::error_code ec) {
    if (ec == beast::error::timeout) return Record(false, "Target.Timeout", "Request timed out");
    Record(false, "Target.FailedHealthChecks", "Health checks failed");
  }

  void Record(bool passed, std::string reason, std::string description) {
    if (stream_) {
      beast::error_code ignored;
      stream_->socket().close(ignored);
      stream_.reset();
    }
    buffer_.clear();
    if (passed) {
      ++passes_;
      failures_ = 0;
    } else {
      ++failures_;
      passes_ = 0;
    }
    HealthState next = state_;
    if (passed && passes_ >= check_.healthy_threshold && state_.state != "healthy") {
      int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now().time_since_epoch()).count();
      next = HealthState{"healthy", now_ms, "", ""};
    }
    if (!passed && failures_ >= check_.unhealthy_threshold) {
      next = HealthState{"unhealthy", 0, std::move(reason), std::move(description)};
    }
    if (next.state != state_.state || next.reason != state_.reason) {
      state_ = next;
      publish_(key_, state_);
    }
    timer_.expires_after(std::chrono::seconds(check_.interval_seconds));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->Run();
    });
  }

  asio::io_context& io_;
  asio::steady_timer timer_;
  std::string key_;
  Target target_;
  HealthCheck check_;
  uint16_t port_ = 0;
  Publish publish_;
  std::shared_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  http::response<http::string_body> response_;
  HealthState state_;
  int passes_ = 0, failures_ = 0;
  bool stopped_ = false;
};

struct HealthChecker::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread;
  std::map<std::string, std::shared_ptr<Probe>> probes;  // loop thread only
  HealthMap states;                                       // loop thread only
};

HealthChecker::HealthChecker() : impl_(std::make_unique<Impl>()) {
  published_.store(std::make_shared<const HealthMap>());
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

HealthChecker::~HealthChecker() {
  asio::post(impl_->io, [this] {
    for (auto& [key, probe] : impl_->probes) probe->Stop();
    impl_->probes.clear();
  });
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void HealthChecker::Update(std::shared_ptr<const Config> config) {
  asio::post(impl_->io, [this, config = std::move(config)] {
    // Only target groups a listener routes to are checked ("unused" otherwise).
    std::set<std::string> routed;
    for (const auto& l : config->listeners) {
      for (const auto& r : l.rules) {
        for (const auto& a : r.actions) {
          for (const auto& tg : a.target_groups) routed.insert(tg.arn);
        }
      }
    }
    std::set<std::string> wanted;
    for (const auto& [arn, tg] : config->target_groups) {
      if (!routed.count(arn)) continue;
      for (const auto& t : tg.targets) {
        if (t.draining) continue;
        std::string key = HealthKey(arn, t);
        wanted.insert(key);
        auto it = impl_->probes.find(key);
        if (it != impl_->probes.end() && it->second->SameAs(t, tg.health_check)) continue;
        if (it != impl_->probes.end()) it->second->Stop();
        auto probe = std::make_shared<Probe>(
            impl_->io, key, t, tg.health_check, t.port, [this](const std::string& k, const HealthState& s) {
              impl_->states[k] = s;
              PublishSnapshot(std::make_shared<const HealthMap>(impl_->states));
            });
        impl_->probes[key] = probe;
        impl_->states[key] = HealthState{};
        probe->Start();
      }
    }
    for (auto it = impl_->probes.begin(); it != impl_->probes.end();) {
      if (wanted.count(it->first)) {
        ++it;
        continue;
      }
      it->second->Stop();
      impl_->states.erase(it->first);
      it = impl_->probes.erase(it);
    }
    PublishSnapshot(std::make_shared<const HealthMap>(impl_->states));
  });
}

void HealthChecker::PublishSnapshot(std::shared_ptr<const HealthMap> map) {
  published_.store(std::move(map));
  generation_.fetch_add(1, std::memory_order_release);
}

}  // namespace wharf::lb
