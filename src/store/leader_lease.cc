#include "store/leader_lease.h"

#include <algorithm>
#include <atomic>
#include <boost/json/array.hpp>
#include <thread>

#include "base/logging.h"
#include "base/mutex.h"
#include "store/etcd_client.h"

namespace wharf::store {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// For a store only one server can open: that server leads.
class SoleLeader final : public Leadership {
 public:
  explicit SoleLeader(LeadershipCallback on_change) : on_change_(std::move(on_change)) {
    if (on_change_) on_change_(true);
  }
  ~SoleLeader() override {
    if (on_change_) on_change_(false);
  }
  bool IsLeader() const override { return true; }

 private:
  const LeadershipCallback on_change_;
};

class LeaderLease final : public Leadership {
 public:
  LeaderLease(std::unique_ptr<EtcdClient> etcd, LeadershipOptions options)
      : etcd_(std::move(etcd)),
        options_(std::move(options)),
        key_b64_(Base64Encode(options_.election_key)) {}

  ~LeaderLease() override {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    cv_.SignalAll();
    if (thread_.joinable()) thread_.join();
    // Step down before the key goes, so there is no moment with two leaders.
    SetLeader(false);
    if (lease_id_ != 0) {
      auto revoked =
          etcd_->Call("/v3/lease/revoke", json::object{{"ID", std::to_string(lease_id_)}}, true);
      if (!revoked.ok()) {
        LOG_WARN("revoking leader lease {} failed; it expires within its TTL: {}", lease_id_,
                 revoked.status().ToString());
      }
    }
  }

  // Grants the first lease, so an unreachable etcd is reported to the caller, then starts
  // campaigning.
  Status Start() {
    RETURN_IF_ERROR(Grant().WithContext("leader lease"));
    thread_ = std::thread([this] { Loop(); });
    return Status::OK();
  }

  bool IsLeader() const override { return leader_.load(); }

 private:
  void Loop() {
    for (;;) {
      Tick();
      auto now = SteadyClock::now();
      auto wake = now + options_.poll_interval;
      if (lease_id_ != 0) wake = std::min(wake, std::max(next_renewal_, now + 10ms));
      MutexLock lock(mu_);
      while (!stopping_ && cv_.WaitUntil(mu_, wake)) {
      }
      if (stopping_) return;
    }
  }

  void Tick() {
    if (lease_id_ == 0) {
      if (Status s = Grant(); !s.ok()) {
        LOG_WARN("leader lease grant failed: {}", s.ToString());
        return;
      }
    }
    if (SteadyClock::now() >= next_renewal_) KeepAlive();
    if (lease_id_ == 0) return;  // it expired: granted afresh on the next tick
    if (leader_ && !Fresh()) {
      LOG_WARN("leader lease {} not renewed for 2/3 of its TTL: stepping down", lease_id_);
      SetLeader(false);
    }
    CheckKey();
  }

  // True while the lease is surely alive in etcd, with a third of its TTL to spare.
  bool Fresh() const { return SteadyClock::now() - renewed_at_ < granted_ttl_ * 2 / 3; }

  Status Grant() {
    const auto sent = SteadyClock::now();
    const auto ttl_s = std::max<int64_t>(1, (options_.ttl.count() + 999) / 1000);
    // Retried on another endpoint like a read: a grant answered but lost only leaves an
    // unused lease behind, which expires by itself.
    ASSIGN_OR_RETURN(
        json::object response,
        etcd_->Call("/v3/lease/grant", json::object{{"TTL", std::to_string(ttl_s)}}, true));
    ASSIGN_OR_RETURN(int64_t id, JsonInt64(response, "ID"));
    ASSIGN_OR_RETURN(int64_t ttl, JsonInt64(response, "TTL"));
    if (id == 0 || ttl <= 0) return Status::Unavailable("etcd granted no lease");
    lease_id_ = id;
    Renewed(sent, ttl);
    return Status::OK();
  }

  void Renewed(SteadyClock::time_point sent, int64_t ttl_seconds) {
    granted_ttl_ = std::chrono::seconds(ttl_seconds);
    renewed_at_ = sent;  // etcd counts the TTL from later than this: a safe lower bound
    next_renewal_ = sent + std::min<SteadyClock::duration>(granted_ttl_, options_.ttl) / 3;
  }

  void KeepAlive() {
    const auto sent = SteadyClock::now();
    auto response =
        etcd_->Call("/v3/lease/keepalive", json::object{{"ID", std::to_string(lease_id_)}}, true);
    // The gateway answers the (streaming) keep-alive RPC with {"result": {...}}.
    const json::value* result = response.ok() ? response->if_contains("result") : nullptr;
    if (result == nullptr || !result->is_object()) {
      LOG_WARN("leader lease {} keep-alive failed: {}", lease_id_,
               response.ok() ? "no result" : response.status().ToString());
      next_renewal_ = sent + options_.poll_interval;
      return;
    }
    auto ttl = JsonInt64(result->get_object(), "TTL");
    if (ttl.ok() && *ttl <= 0) {
      LOG_WARN("leader lease {} expired", lease_id_);
      lease_id_ = 0;
      SetLeader(false);
      return;
    }
    if (ttl.ok()) Renewed(sent, *ttl);
  }

  // Reads the election key and leads, follows or campaigns accordingly.
  void CheckKey() {
    auto response = etcd_->Call("/v3/kv/range", json::object{{"key", key_b64_}}, true);
    if (!response.ok()) return;  // Fresh() bounds how long a leader trusts old news
    const json::value* kvs = response->if_contains("kvs");
    const json::object* kv = nullptr;
    if (kvs != nullptr && kvs->is_array() && !kvs->get_array().empty()) {
      kv = kvs->get_array().front().if_object();
    }
    if (kv == nullptr) {
      SetLeader(false);
      Campaign();
      return;
    }
    auto value = JsonBytes(*kv, "value");
    auto lease = JsonInt64(*kv, "lease");
    // Ours also after a campaign whose answer was lost on the way back.
    bool mine = value.ok() && *value == options_.holder_id && lease.ok() && *lease == lease_id_;
    SetLeader(mine && Fresh());
  }

  void Campaign() {
    if (!Fresh()) return;  // a lease about to lapse would make a short, unsafe term
    json::object compare{
        {"key", key_b64_}, {"target", "CREATE"}, {"result", "EQUAL"}, {"create_revision", "0"}};
    json::object put{{"key", key_b64_},
                     {"value", Base64Encode(options_.holder_id)},
                     {"lease", std::to_string(lease_id_)}};
    json::object txn{{"compare", json::array{compare}},
                     {"success", json::array{json::object{{"request_put", put}}}}};
    auto response = etcd_->Call("/v3/kv/txn", txn, false);
    if (response.ok() && JsonBool(*response, "succeeded")) SetLeader(true);
  }

  void SetLeader(bool leader) {
    if (leader_.exchange(leader) == leader) return;
    LOG_INFO("{} {} leadership ({})", options_.holder_id, leader ? "gained" : "lost",
             options_.election_key);
    if (options_.on_change) options_.on_change(leader);
  }

  // Constant after construction.
  const std::unique_ptr<EtcdClient> etcd_;
  const LeadershipOptions options_;
  const std::string key_b64_;

  // Only the lease thread while it runs; Start before and the destructor after.
  int64_t lease_id_ = 0;
  SteadyClock::duration granted_ttl_{};
  SteadyClock::time_point renewed_at_;  // when the last successful grant/keep-alive was sent
  SteadyClock::time_point next_renewal_;
  std::thread thread_;

  std::atomic<bool> leader_{false};

  // Protected by mu_.
  Mutex mu_;
  CondVar cv_;  // signalled on stopping_
  bool stopping_ GUARDED_BY(mu_) = false;
};

}  // namespace

Result<std::unique_ptr<Leadership>> OpenLeaderLease(const std::string& endpoints,
                                                    LeadershipOptions options) {
  if (options.holder_id.empty()) return Status::InvalidArgument("leader lease needs a holder id");
  if (options.ttl < 1s) return Status::InvalidArgument("leader lease TTL under one second");
  // A request may not outlast a renewal interval, or a stuck call would eat the margin.
  net::HttpClientOptions http;
  http.connect_timeout = std::clamp<std::chrono::milliseconds>(options.ttl / 6, 200ms, 2s);
  http.request_timeout = std::clamp<std::chrono::milliseconds>(options.ttl / 3, 300ms, 5s);
  ASSIGN_OR_RETURN(std::unique_ptr<EtcdClient> etcd, EtcdClient::Open(endpoints, http));
  auto lease = std::make_unique<LeaderLease>(std::move(etcd), std::move(options));
  RETURN_IF_ERROR(lease->Start());
  return std::unique_ptr<Leadership>(std::move(lease));
}

Result<std::unique_ptr<Leadership>> OpenLeadership(std::string_view store_url,
                                                   LeadershipOptions options) {
  constexpr std::string_view kEtcd = "etcd://";
  if (store_url.substr(0, kEtcd.size()) == kEtcd) {
    return OpenLeaderLease(std::string(store_url.substr(kEtcd.size())), std::move(options));
  }
  return std::unique_ptr<Leadership>(std::make_unique<SoleLeader>(std::move(options.on_change)));
}

}  // namespace wharf::store
