// The etcd Store backend. Each Store call is one request to etcd's JSON gateway (see
// etcd_client.h); each Watch is one long-lived /v3/watch stream read by its own thread.
//
// Mapping onto etcd:
//   Get/List       range over [ns+key, ...), keys returned with the namespace stripped
//   Commit         one txn; an absent-key Compare is "create_revision == 0", any other is
//                  "mod_revision == N"; ops on one key collapse to the last (etcd refuses a
//                  txn that names a key twice). A delete-then-put therefore keeps the key's
//                  create_revision where the memory backend would start a new one.
//   CurrentRevision the header revision of a count-only range
//   Wipe           deleterange over the whole namespace
// etcd refuses txns of more than --max-txn-ops (default 128) ops: InvalidArgument.
#include "store/etcd_store.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <map>
#include <thread>

#include "base/logging.h"
#include "base/mutex.h"
#include "store/etcd_client.h"

namespace wharf::store {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// etcd has no empty key; "\0" is the smallest one there is.
std::string RangeStart(std::string key) { return key.empty() ? std::string(1, '\0') : key; }

// Decodes one mvccpb.KeyValue, stripping the namespace from its key.
Result<KeyValue> DecodeKv(const json::value& v, const std::string& ns) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Status::Internal("etcd key-value is not an object");
  ASSIGN_OR_RETURN(std::string key, JsonBytes(*o, "key"));
  if (key.compare(0, ns.size(), ns) != 0) {
    return Status::Internal("etcd returned a key outside namespace '" + ns + "'");
  }
  KeyValue kv;
  kv.key = key.substr(ns.size());
  ASSIGN_OR_RETURN(kv.value, JsonBytes(*o, "value"));
  ASSIGN_OR_RETURN(kv.create_revision, JsonInt64(*o, "create_revision"));
  ASSIGN_OR_RETURN(kv.mod_revision, JsonInt64(*o, "mod_revision"));
  return kv;
}

Result<std::vector<KeyValue>> DecodeKvs(const json::object& response, const std::string& ns) {
  std::vector<KeyValue> out;
  const json::value* kvs = response.if_contains("kvs");
  if (kvs == nullptr) return out;
  if (!kvs->is_array()) return Status::Internal("etcd 'kvs' is not an array");
  for (const json::value& v : kvs->get_array()) {
    ASSIGN_OR_RETURN(KeyValue kv, DecodeKv(v, ns));
    out.push_back(std::move(kv));
  }
  return out;
}

// One WatchPrefix: a thread that keeps a /v3/watch stream open, reconnecting (and failing
// over) from the revision after the last one it delivered.
class EtcdWatch final : public Watch {
 public:
  EtcdWatch(std::shared_ptr<EtcdClient> etcd, std::string ns, std::string prefix,
            int64_t next_revision, WatchCallback callback)
      : etcd_(std::move(etcd)),
        ns_(std::move(ns)),
        key_(RangeStart(ns_ + prefix)),
        range_end_(PrefixEnd(ns_ + prefix)),
        callback_(std::move(callback)),
        next_revision_(next_revision) {}

  ~EtcdWatch() override {
    {
      MutexLock lock(mu_);
      stopping_ = true;
      if (live_ != nullptr) live_->Cancel();
    }
    cv_.SignalAll();
    // Joining is what guarantees no callback runs once the handle is gone.
    if (thread_.joinable()) thread_.join();
  }

  // Starts the thread and waits until etcd confirmed the first stream (or refused it).
  // On failure the caller destroys the watch, which stops the thread.
  Status Start() {
    thread_ = std::thread([this] { Loop(); });
    // Each try is bounded by the client's timeouts up to the response head, but etcd
    // could send a head and then nothing: do not wait on that forever.
    auto deadline = std::chrono::steady_clock::now() + 60s;
    MutexLock lock(mu_);
    while (!started_.has_value() && cv_.WaitUntil(mu_, deadline)) {
    }
    if (!started_.has_value()) return Status::Unavailable("etcd did not confirm the watch within 60 s");
    return *started_;
  }

 private:
  void Loop() {
    size_t first_tries = etcd_->endpoint_count();  // before the first stream: each once
    auto backoff = 100ms;
    for (;;) {
      size_t endpoint = 0;
      std::unique_ptr<net::HttpClient> client = etcd_->NewStreamClient(&endpoint);
      {
        MutexLock lock(mu_);
        if (stopping_) return;
        live_ = client.get();
      }
      Status s = RunStream(*client);
      MutexLock lock(mu_);
      live_ = nullptr;
      if (stopping_) return;
      if (!started_) {
        if (s.IsUnavailable() && --first_tries > 0) {
          etcd_->EndpointFailed(endpoint);
          continue;
        }
        started_ = s.WithContext("watch");
        cv_.SignalAll();
        return;
      }
      if (s.IsFailedPrecondition()) {
        // The callback has no error channel: nothing can be delivered in order any more.
        LOG_ERROR("etcd watch on '{}' stopped: {}", key_, s.ToString());
        return;
      }
      if (created_) backoff = 100ms;
      LOG_WARN("etcd watch on '{}' broke, resuming from revision {}: {}", key_, next_revision_,
               s.ToString());
      if (s.IsUnavailable()) etcd_->EndpointFailed(endpoint);
      auto retry_at = std::chrono::steady_clock::now() + backoff;
      while (!stopping_ && cv_.WaitUntil(mu_, retry_at)) {
      }
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 2s);
    }
  }

  // Reads one stream until it fails; the Status says why it ended.
  Status RunStream(net::HttpClient& client) {
    created_ = false;
    json::object create{{"key", Base64Encode(key_)},
                        {"range_end", Base64Encode(range_end_)},
                        {"start_revision", std::to_string(next_revision_)}};
    net::HttpRequest request;
    request.method = "POST";
    request.target = "/v3/watch";
    request.headers = {{"Content-Type", "application/json"}};
    request.body = json::serialize(json::object{{"create_request", std::move(create)}});
    auto head = client.StartStream(request);
    if (!head.ok()) return head.status();
    if (head->status != 200) {
      auto body = ParseJsonObject(head->body);
      return body.ok()
                 ? EtcdError(*body, head->status)
                 : Status::Unavailable("etcd watch answered HTTP " + std::to_string(head->status));
    }
    // The gateway writes one JSON object per message; a message may span reads.
    json::stream_parser parser;
    for (;;) {
      auto piece = client.ReadStream();
      if (!piece.ok()) return piece.status();
      if (!piece->has_value()) return Status::Unavailable("etcd ended the watch stream");
      std::string_view data = **piece;
      while (!data.empty()) {
        boost::system::error_code ec;
        size_t used = parser.write_some(data.data(), data.size(), ec);
        if (ec) return Status::Internal("malformed watch message from etcd: " + ec.message());
        data.remove_prefix(used);
        if (!parser.done()) continue;
        json::value message = parser.release();
        parser.reset();
        RETURN_IF_ERROR(HandleMessage(message));
      }
    }
  }

  Status HandleMessage(const json::value& message) {
    const json::object* o = message.if_object();
    if (o == nullptr) return Status::Internal("etcd watch message is not an object");
    if (const json::value* error = o->if_contains("error")) return EtcdError(*error, 0);
    const json::value* rv = o->if_contains("result");
    if (rv == nullptr || !rv->is_object())
      return Status::Internal("etcd watch message has no result");
    const json::object& result = rv->get_object();

    ASSIGN_OR_RETURN(int64_t compacted, JsonInt64(result, "compact_revision"));
    if (compacted > 0) {
      return Status::FailedPrecondition("watch from revision " + std::to_string(next_revision_) +
                                        ": compacted through " + std::to_string(compacted));
    }
    if (JsonBool(result, "canceled")) {
      const json::value* reason = result.if_contains("cancel_reason");
      return Status::Unavailable(
          "etcd cancelled the watch: " +
          std::string(reason != nullptr && reason->is_string() ? reason->get_string() : ""));
    }
    if (JsonBool(result, "created") && !created_) {
      created_ = true;
      MutexLock lock(mu_);
      if (!started_) {
        started_ = Status::OK();
        cv_.SignalAll();
      }
    }
    std::vector<Event> events;
    if (const json::value* evs = result.if_contains("events"); evs != nullptr) {
      if (!evs->is_array()) return Status::Internal("etcd 'events' is not an array");
      for (const json::value& ev : evs->get_array()) {
        const json::object* eo = ev.if_object();
        const json::value* kv = eo != nullptr ? eo->if_contains("kv") : nullptr;
        if (kv == nullptr) return Status::Internal("etcd watch event without kv");
        Event e;
        const json::value* type = eo->if_contains("type");
        e.type = type != nullptr && type->is_string() && type->get_string() == "DELETE"
                     ? Event::Type::kDelete
                     : Event::Type::kPut;
        ASSIGN_OR_RETURN(e.kv, DecodeKv(*kv, ns_));
        events.push_back(std::move(e));
      }
    }
    if (events.empty()) return Status::OK();
    {
      MutexLock lock(mu_);
      if (stopping_) return Status::Unavailable("watch stopped");
    }
    next_revision_ = events.back().kv.mod_revision + 1;
    callback_(events);
    return Status::OK();
  }

  // Constant after construction.
  const std::shared_ptr<EtcdClient> etcd_;
  const std::string ns_;
  const std::string key_;
  const std::string range_end_;
  const WatchCallback callback_;

  // Only the watch thread.
  int64_t next_revision_;
  bool created_ = false;  // the current stream was confirmed
  std::thread thread_;    // set by Start before the thread can run anything else

  // Protected by mu_.
  Mutex mu_;
  CondVar cv_;  // signalled on stopping_ and started_
  bool stopping_ GUARDED_BY(mu_) = false;
  net::HttpClient* live_ GUARDED_BY(mu_) = nullptr;  // the stream to cancel on stop
  std::optional<Status> started_ GUARDED_BY(mu_);    // outcome of the first stream
};

class EtcdStore final : public Store {
 public:
  EtcdStore(std::shared_ptr<EtcdClient> etcd, std::string ns)
      : etcd_(std::move(etcd)), ns_(std::move(ns)) {}

  Result<std::optional<KeyValue>> Get(std::string_view key) override {
    json::object request{{"key", Base64Encode(RangeStart(ns_ + std::string(key)))}};
    ASSIGN_OR_RETURN(json::object response, etcd_->Call("/v3/kv/range", request, true));
    ASSIGN_OR_RETURN(std::vector<KeyValue> kvs, DecodeKvs(response, ns_));
    if (kvs.empty()) return std::optional<KeyValue>();
    return std::optional<KeyValue>(std::move(kvs.front()));
  }

  Result<Page> List(std::string_view prefix, std::string_view start_after, size_t limit) override {
    std::string begin = ns_ + std::string(prefix);
    if (!start_after.empty() && start_after >= prefix) {
      begin = ns_ + std::string(start_after) + '\0';  // the first key after start_after
    }
    json::object request{{"key", Base64Encode(RangeStart(begin))},
                         {"range_end", Base64Encode(PrefixEnd(ns_ + std::string(prefix)))}};
    // One extra key tells whether another page follows.
    if (limit != 0) request["limit"] = std::to_string(limit + 1);
    ASSIGN_OR_RETURN(json::object response, etcd_->Call("/v3/kv/range", request, true));
    Page page;
    ASSIGN_OR_RETURN(page.revision, HeaderRevision(response));
    ASSIGN_OR_RETURN(page.items, DecodeKvs(response, ns_));
    if (limit != 0 && page.items.size() > limit) {
      page.items.resize(limit);
      page.more = true;
    }
    return page;
  }

  Result<TxnResult> Commit(const Txn& txn) override {
    json::array compares;
    for (const Compare& c : txn.compares) {
      json::object o{{"key", Base64Encode(RangeStart(ns_ + c.key))}, {"result", "EQUAL"}};
      if (c.mod_revision == 0) {
        o["target"] = "CREATE";  // a key that exists always has a create_revision > 0
        o["create_revision"] = "0";
      } else {
        o["target"] = "MOD";
        o["mod_revision"] = std::to_string(c.mod_revision);
      }
      compares.push_back(std::move(o));
    }
    std::map<std::string_view, const Op*> last_op;
    for (const Op& op : txn.ops) last_op[op.key] = &op;
    json::array success;
    for (const auto& [key, op] : last_op) {
      std::string k = Base64Encode(RangeStart(ns_ + op->key));
      if (op->kind == Op::Kind::kPut) {
        success.push_back(json::object{
            {"request_put", json::object{{"key", k}, {"value", Base64Encode(op->value)}}}});
      } else {
        success.push_back(json::object{{"request_delete_range", json::object{{"key", k}}}});
      }
    }
    json::object request{{"compare", std::move(compares)}, {"success", std::move(success)}};
    ASSIGN_OR_RETURN(json::object response, etcd_->Call("/v3/kv/txn", request, false));
    TxnResult result;
    result.succeeded = JsonBool(response, "succeeded");
    ASSIGN_OR_RETURN(result.revision, HeaderRevision(response));
    return result;
  }

  Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view prefix, int64_t after_revision,
                                             WatchCallback callback) override {
    // etcd reports a compacted start revision only after it confirmed the watch; a read at
    // that revision fails the same way up front, so the caller gets the error here.
    const std::string key = ns_ + std::string(prefix);
    json::object probe{{"key", Base64Encode(RangeStart(key))},
                       {"range_end", Base64Encode(PrefixEnd(key))},
                       {"revision", std::to_string(after_revision + 1)},
                       {"count_only", true}};
    auto probed = etcd_->Call("/v3/kv/range", probe, true);
    if (!probed.ok()) {
      const Status& s = probed.status();
      // A revision not written yet is fine: the watch waits for it.
      bool future = s.IsInvalidArgument() && s.message().find("future") != std::string::npos;
      if (!future) return s.WithContext("watch from revision " + std::to_string(after_revision));
    }
    auto watch = std::make_unique<EtcdWatch>(etcd_, ns_, std::string(prefix), after_revision + 1,
                                             std::move(callback));
    RETURN_IF_ERROR(watch->Start());
    return std::unique_ptr<Watch>(std::move(watch));
  }

  Result<int64_t> CurrentRevision() override {
    json::object request{{"key", Base64Encode(RangeStart(ns_))}, {"count_only", true}};
    ASSIGN_OR_RETURN(json::object response, etcd_->Call("/v3/kv/range", request, true));
    return HeaderRevision(response);
  }

  Status Wipe() override {
    json::object request{{"key", Base64Encode(RangeStart(ns_))},
                         {"range_end", Base64Encode(PrefixEnd(ns_))}};
    return etcd_->Call("/v3/kv/deleterange", request, true).status();
  }

 private:
  // Constant after construction.
  const std::shared_ptr<EtcdClient> etcd_;  // shared with live watches
  const std::string ns_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenEtcdStore(const std::string& endpoints,
                                             const std::string& namespace_prefix) {
  ASSIGN_OR_RETURN(std::unique_ptr<EtcdClient> client, EtcdClient::Open(endpoints));
  auto store =
      std::make_unique<EtcdStore>(std::shared_ptr<EtcdClient>(std::move(client)), namespace_prefix);
  // Fail at start-up, not at the first request, when no endpoint answers.
  RETURN_IF_ERROR(store->CurrentRevision().status().WithContext("etcd at " + endpoints));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace wharf::store
