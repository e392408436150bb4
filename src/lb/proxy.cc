#include "lb/proxy.h"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <array>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>

#include "base/logging.h"
#include "lb/request_check.h"
#include "lb/rules.h"

namespace wharf::lb {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Streams bound to the loop's own executor type: no type-erased executor copied on every
// operation (a measurable share of the proxy's CPU with beast::tcp_stream).
using Stream = beast::basic_stream<tcp, asio::io_context::executor_type>;

// Idle keep-alive connections to targets, by "ip:port". One per loop.
class UpstreamPool {
 public:
  std::unique_ptr<Stream> Take(const std::string& key) {
    auto it = idle_.find(key);
    if (it == idle_.end() || it->second.empty()) return nullptr;
    auto stream = std::move(it->second.back());
    it->second.pop_back();
    return stream;
  }
  void Give(const std::string& key, std::unique_ptr<Stream> stream) {
    auto& list = idle_[key];
    if (list.size() < 64) list.push_back(std::move(stream));
  }

 private:
  std::map<std::string, std::vector<std::unique_ptr<Stream>>> idle_;
};

namespace {
int64_t SteadySeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

LoopState::LoopState(asio::io_context& io_context)
    : io(io_context), pool(std::make_unique<UpstreamPool>()),
      random_state(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())),
      now_seconds(SteadySeconds()), sweep_timer_(std::make_unique<asio::steady_timer>(io_context)) {
  Sweep();
}
LoopState::~LoopState() = default;

void LoopState::Sweep() {
  now_seconds = SteadySeconds();
  size_t kept = 0;
  for (size_t i = 0; i < watched.size(); ++i) {
    if (auto w = watched[i].lock()) {
      watched[kept++] = watched[i];
      w->CheckIdle(now_seconds);
    }
  }
  watched.resize(kept);
  sweep_timer_->expires_after(std::chrono::seconds(1));
  sweep_timer_->async_wait([this](beast::error_code ec) {
    if (!ec) Sweep();
  });
}

namespace {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr uint64_t kMaxUpstreamBody = 256ull << 20;  // a target's answer is buffered: bounded

uint64_t NextRandom(LoopState& loop) {
  uint64_t z = (loop.random_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string TraceId(LoopState& loop) {
  char buf[64];
  uint64_t a = NextRandom(loop), b = NextRandom(loop);
  std::snprintf(buf, sizeof buf, "Root=1-%08x-%08x%016llx", static_cast<unsigned>(std::time(nullptr)),
                static_cast<unsigned>(a >> 32), static_cast<unsigned long long>(b));
  return buf;
}

Response Plain(int status, std::string body, std::string content_type = "text/html") {
  Response res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "awselb/2.0");
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

Response ErrorPage(int status) {
  const char* reason = status == 502 ? "Bad Gateway" : status == 503 ? "Service Temporarily Unavailable"
                       : status == 504 ? "Gateway Time-out" : "Bad Request";
  std::string code = std::to_string(status) + " " + reason;
  return Plain(status, "<html>\r\n<head><title>" + code + "</title></head>\r\n<body>\r\n<center><h1>" + code +
                           "</h1></center>\r\n</body>\r\n</html>\r\n");
}

const Target* PickSticky(const TargetGroup& tg, std::string_view cookie_header) {
  // AWSALB=<ip>:<port>
  size_t at = cookie_header.find("AWSALB=");
  while (at != std::string_view::npos && at > 0 && cookie_header[at - 1] != ' ' && cookie_header[at - 1] != ';') {
    at = cookie_header.find("AWSALB=", at + 1);
  }
  if (at == std::string_view::npos) return nullptr;
  std::string_view value = cookie_header.substr(at + 7);
  value = value.substr(0, value.find(';'));
  for (const auto& t : tg.targets) {
    if (!t.draining && value == t.ip + ":" + std::to_string(t.port)) return &t;
  }
  return nullptr;
}

class ClientSession : public Watched, public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(tcp::socket socket, std::string listener_arn, uint16_t listener_port, Shared& shared,
                LoopState& loop)
      : client_(loop.io.get_executor()), listener_arn_(std::move(listener_arn)), listener_port_(listener_port),
        shared_(shared), loop_(loop) {
    beast::error_code ec;
    auto protocol = socket.local_endpoint(ec).protocol();
    if (!ec) client_.socket().assign(protocol, socket.release(ec), ec);
    auto remote = client_.socket().remote_endpoint(ec);
    if (!ec) client_ip_ = remote.address().to_string();
  }

  void Start() {
    loop_.watched.push_back(shared_from_this());
    ReadRequest();
  }

  // Waiting on the client too long closes the connection; waiting on the target too long
  // answers 504 (the load balancer's idle timeout, to the second).
  void CheckIdle(int64_t now) override {
    if (phase_ == Phase::kDone || now - phase_started_ <= IdleTimeout()) {
      return;
    }
    if (phase_ == Phase::kUpstream || phase_ == Phase::kConnecting) {
      timed_out_ = true;
      beast::error_code ignored;
      if (upstream_) upstream_->socket().close(ignored);
      return;
    }
    Close();
  }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(shared_.max_request_body);
    parser_->header_limit(64 * 1024);
    config_ = shared_.config.load();  // for the idle timeout; reloaded when the request is in
    Enter(Phase::kReading);
    http::async_read(client_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->Guarded([&] { self->OnRequest(ec); });
    });
  }

  int IdleTimeout() const {
    for (const auto& l : config_->listeners) {
      if (l.arn == listener_arn_) return l.idle_timeout_seconds;
    }
    return 60;
  }

  const Listener* FindListener() const {
    for (const auto& l : config_->listeners) {
      if (l.arn == listener_arn_) return &l;
    }
    return nullptr;
  }

  void OnRequest(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec) {  // malformed, smuggling-shaped or oversized: refuse and close (desync defence)
      keep_alive_ = false;
      return Reply(ErrorPage(400));
    }
    request_ = parser_->release();
    keep_alive_ = request_.keep_alive();
    config_ = shared_.config.load();  // the newest configuration takes this request
    if (!FramingProblem(request_.base()).empty()) {  // desync mitigation: refuse and close
      keep_alive_ = false;
      return Reply(ErrorPage(400));
    }
    const Listener* listener = FindListener();
    if (!listener) return Reply(ErrorPage(503));
    std::string_view target = request_.target();
    size_t q = target.find('?');
    std::string_view host = request_[http::field::host];
    std::string host_only(host.substr(0, host.rfind(':') == std::string_view::npos || host.find(']') != std::string_view::npos
                                             ? host.size() : host.rfind(':')));
    RequestFacts facts;
    facts.method = request_.method_string();
    facts.host = host_only;
    facts.path = target.substr(0, q);
    facts.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    for (const auto& f : request_) facts.headers.emplace_back(f.name_string(), f.value());
    facts.source_ip = client_ip_;
    const Rule* rule = MatchRule(*listener, facts);
    if (!rule || rule->actions.empty()) return Reply(ErrorPage(503));
    const Action& action = rule->actions.back();  // the terminal action
    if (action.type == "fixed-response") {
      return Reply(Plain(action.fixed_status, action.fixed_body, action.fixed_content_type));
    }
    if (action.type == "redirect") {
      std::string port = std::to_string(listener_port_);
      std::string location = ExpandRedirect(action.redirect_protocol, "http", host_only, port, facts.path, facts.query);
      for (char& c : location) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      location += "://" + ExpandRedirect(action.redirect_host, "http", host_only, port, facts.path, facts.query);
      std::string to_port = ExpandRedirect(action.redirect_port, "http", host_only, port, facts.path, facts.query);
      bool default_port = (to_port == "80" && (location.rfind("http:", 0) == 0)) ||
                          (to_port == "443" && location.rfind("https:", 0) == 0);
      if (!default_port) location += ":" + to_port;
      location += ExpandRedirect(action.redirect_path, "http", host_only, port, facts.path, facts.query);
      std::string query = ExpandRedirect(action.redirect_query, "http", host_only, port, facts.path, facts.query);
      if (!query.empty()) location += "?" + query;
      if (location.size() > 8192) return Reply(ErrorPage(400));  // fields are capped far below a long target
      Response res = Plain(action.redirect_status, "");
      res.set(http::field::location, location);
      return Reply(std::move(res));
    }
    Forward(action);
  }

  void Forward(const Action& action) {
    // The target group: weighted.
    int total = 0;
    for (const auto& w : action.target_groups) total += std::max(0, w.weight);
    const TargetGroup* tg = nullptr;
    group_cookie_ = action.group_stickiness_enabled && action.target_groups.size() > 1
                        ? action.group_stickiness_seconds : 0;
    if (group_cookie_ > 0) {  // AWSALBTG names the group this client stays with
      std::string_view cookies = request_[http::field::cookie];
      for (const auto& w : action.target_groups) {
        if (w.weight > 0 && cookies.find("AWSALBTG=" + GroupToken(w.arn)) != std::string_view::npos) {
          auto it = config_->target_groups.find(w.arn);
          if (it != config_->target_groups.end()) tg = &it->second;
        }
      }
    }
    if (!tg && total > 0) {
      int64_t pick = static_cast<int64_t>(NextRandom(loop_) % static_cast<uint64_t>(total));
      for (const auto& w : action.target_groups) {
        pick -= std::max(0, w.weight);
        if (pick < 0) {
          auto it = config_->target_groups.find(w.arn);
          if (it != config_->target_groups.end()) tg = &it->second;
          break;
        }
      }
    }
    if (!tg) return Reply(ErrorPage(503));
    tg_ = tg;
    // The target: healthy ones, or all when none is (fail open); sticky when asked.
    auto health = shared_.health->Snapshot();
    std::vector<const Target*> live, healthy;
    for (const auto& t : tg->targets) {
      if (t.draining) continue;
      live.push_back(&t);
      auto h = health->find(HealthKey(tg->arn, t));
      if (!tg->health_check.enabled || (h != health->end() && h->second.state == "healthy")) healthy.push_back(&t);
    }
    if (live.empty()) return Reply(ErrorPage(503));
    const auto& pool = healthy.empty() ? live : healthy;
    const Target* chosen = nullptr;
    if (tg->stickiness_enabled) {
      const Target* sticky = PickSticky(*tg, request_[http::field::cookie]);
      if (sticky && std::find(pool.begin(), pool.end(), sticky) != pool.end()) chosen = sticky;
    }
    if (!chosen && tg->algorithm == "least_outstanding_requests") {
      for (const Target* t : pool) {
        if (!chosen || loop_.outstanding[Key(*t)] < loop_.outstanding[Key(*chosen)]) chosen = t;
      }
    }
    if (!chosen) chosen = pool[loop_.round_robin[tg->arn]++ % pool.size()];
    if (tg->slow_start_seconds > 0 && pool.size() > 1) chosen = SlowStart(*tg, *health, pool, chosen);
    target_ = *chosen;
    upstream_key_ = Key(target_);
    ++loop_.outstanding[upstream_key_];
    PrepareUpstreamRequest();
    auto pooled = loop_.pool->Take(upstream_key_);
    if (pooled) {
      upstream_ = std::move(pooled);
      reused_ = true;
      return SendUpstream();
    }
    Connect();
  }

  static std::string Key(const Target& t) { return t.ip + ":" + std::to_string(t.port); }

  // The start line and header fields in one string: one buffer to write instead of a
  // buffer sequence per field.
  static std::string Head(const Request& r) {
    std::string out;
    out.reserve(512);
    out.append(r.method_string()).append(" ").append(r.target()).append(" HTTP/1.1\r\n");
    AppendFields(r, out);
    return out;
  }
  static std::string Head(const Response& r) {
    std::string out;
    out.reserve(512);
    out.append("HTTP/1.1 ").append(std::to_string(r.result_int())).append(" ").append(r.reason()).append("\r\n");
    AppendFields(r, out);
    return out;
  }
  template <typename Message>
  static void AppendFields(const Message& m, std::string& out) {
    for (const auto& f : m) out.append(f.name_string()).append(": ").append(f.value()).append("\r\n");
    out.append("\r\n");
  }

  static std::string GroupToken(const std::string& arn) {
    return std::to_string(std::hash<std::string>{}(arn) % 1000000007ULL);
  }

  // A target still in its slow-start window takes a share of its turns that grows linearly
  // with the time since it became healthy; the other turns go to a target past its window.
  const Target* SlowStart(const TargetGroup& tg, const HealthMap& health, const std::vector<const Target*>& pool,
                          const Target* chosen) {
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch()).count();
    auto ramp = [&](const Target* t) {
      auto h = health.find(HealthKey(tg.arn, *t));
      if (h == health.end() || h->second.healthy_since_ms == 0) return 1.0;
      double elapsed = static_cast<double>(now_ms - h->second.healthy_since_ms) / 1000.0;
      return std::min(1.0, elapsed / tg.slow_start_seconds);
    };
    double share = ramp(chosen);
    if (share >= 1.0 || static_cast<double>(NextRandom(loop_) % 10000) / 10000.0 < share) return chosen;
    for (const Target* t : pool) {
      if (ramp(t) >= 1.0) return t;
    }
    return chosen;
  }

  void PrepareUpstreamRequest() {
    // Hop-by-hop fields stay here; Expect too, since the whole body is already in hand.
    for (auto field : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                       http::field::te, http::field::upgrade, http::field::expect}) {
      request_.erase(field);
    }
    std::string xff(request_["X-Forwarded-For"]);
    request_.set("X-Forwarded-For", xff.empty() ? client_ip_ : xff + ", " + client_ip_);
    request_.set("X-Forwarded-Proto", "http");
    request_.set("X-Forwarded-Port", std::to_string(listener_port_));
    if (request_.find("X-Amzn-Trace-Id") == request_.end()) request_.set("X-Amzn-Trace-Id", TraceId(loop_));
    request_.keep_alive(true);
    request_.prepare_payload();
  }

  void Connect() {
    reused_ = false;
    beast::error_code ec;
    auto address = asio::ip::make_address(target_.ip, ec);
    if (ec) return UpstreamFailed(502);
    upstream_ = std::make_unique<Stream>(loop_.io.get_executor());
    Enter(Phase::kConnecting);
    upstream_->async_connect(tcp::endpoint(address, target_.port),
                             [self = shared_from_this()](beast::error_code ec) {
                               if (ec) return self->UpstreamFailed(self->timed_out_ ? 504 : 502);
                               beast::error_code ignored;
                               self->upstream_->socket().set_option(tcp::no_delay(true), ignored);
                               self->SendUpstream();
                             });
  }

  void SendUpstream() {
    Enter(Phase::kUpstream);
    out_head_ = Head(request_);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_), asio::buffer(request_.body())};
    asio::async_write(*upstream_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->timed_out_ ? self->UpstreamFailed(504) : self->RetryOrFail(502);
      self->ReadUpstreamResponse();
    });
  }

  // A pooled connection the target had closed: one fresh attempt before giving up.
  void RetryOrFail(int status) {
    if (reused_) {
      upstream_.reset();
      upstream_buffer_.clear();
      return Connect();
    }
    UpstreamFailed(status);
  }

  void ReadUpstreamResponse() {
    upstream_parser_.emplace();
    upstream_parser_->body_limit(kMaxUpstreamBody);
    if (request_.method() == http::verb::head) upstream_parser_->skip(true);
    http::async_read(*upstream_, upstream_buffer_, *upstream_parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->Guarded([&] { self->OnUpstreamResponse(ec); });
                     });
  }

  // A handler's exception (a bug) costs this connection, not the process.
  template <typename F>
  void Guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      LOG_ERROR("msg=\"load balancer request failed\" error=\"{}\"", e.what());
      keep_alive_ = false;
      upstream_.reset();
      Response res = ErrorPage(500);
      res.keep_alive(false);
      response_ = std::move(res);
      response_.prepare_payload();
      out_head_ = Head(response_);
      std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_), asio::buffer(response_.body())};
      asio::async_write(client_, buffers, [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
    }
  }

  void OnUpstreamResponse(beast::error_code ec) {
    if (ec == beast::error::timeout || timed_out_) return UpstreamFailed(504);
    if (ec == http::error::body_limit) return UpstreamFailed(502);
    if (ec) return RetryOrFail(502);
    int status = upstream_parser_->get().result_int();
    if (status >= 100 && status < 200 && status != 101) return ReadUpstreamResponse();  // interim: the final one follows
    Response res = upstream_parser_->release();
    bool reusable = res.keep_alive();
    --loop_.outstanding[upstream_key_];
    if (reusable && upstream_buffer_.size() == 0) {
      loop_.pool->Give(upstream_key_, std::move(upstream_));
    }
    upstream_.reset();
    upstream_buffer_.clear();
    for (auto field : {http::field::connection, http::field::keep_alive}) res.erase(field);
    res.version(11);  // clients talk HTTP/1.1 with us, whatever the target speaks
    if (group_cookie_ > 0 && tg_) {
      res.insert(http::field::set_cookie, "AWSALBTG=" + GroupToken(tg_->arn) + "; Max-Age=" +
                                              std::to_string(group_cookie_) + "; Path=/");
    }
    if (tg_ && tg_->stickiness_enabled) {
      res.insert(http::field::set_cookie, "AWSALB=" + Key(target_) + "; Max-Age=" +
                                              std::to_string(tg_->stickiness_duration_seconds) + "; Path=/");
    }
    Reply(std::move(res));
  }

  void UpstreamFailed(int status) {
    timed_out_ = false;
    --loop_.outstanding[upstream_key_];
    upstream_.reset();
    upstream_buffer_.clear();
    Reply(ErrorPage(status));
  }

  void Reply(Response&& res) {
    res.keep_alive(keep_alive_);
    int code = res.result_int();
    if (code < 200 || code == 204 || code == 304) res.body().clear();  // these carry no body
    if (request_.method() != http::verb::head) res.prepare_payload();
    response_ = std::move(res);
    out_head_ = Head(response_);
    std::array<asio::const_buffer, 2> buffers{
        asio::buffer(out_head_),
        asio::buffer(request_.method() == http::verb::head ? std::string_view() : std::string_view(response_.body()))};
    Enter(Phase::kWriting);
    asio::async_write(client_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->Close();
      self->tg_ = nullptr;
      self->ReadRequest();
    });
  }

  enum class Phase { kReading, kConnecting, kUpstream, kWriting, kDone };
  void Enter(Phase phase) {
    phase_ = phase;
    phase_started_ = loop_.now_seconds;
  }

  void Close() {
    phase_ = Phase::kDone;
    beast::error_code ignored;
    client_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    client_.close();
  }

  Stream client_;
  std::string listener_arn_;
  uint16_t listener_port_;
  Shared& shared_;
  LoopState& loop_;
  std::string client_ip_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const Config> config_;  // the snapshot this request uses
  Request request_;
  Response response_;     // the answer being written
  std::string out_head_;  // the head being written
  bool keep_alive_ = true;
  const TargetGroup* tg_ = nullptr;
  int group_cookie_ = 0;  // seconds, when the forward action keeps clients on one group
  Target target_;
  std::string upstream_key_;
  std::unique_ptr<Stream> upstream_;
  beast::flat_buffer upstream_buffer_;
  std::optional<http::response_parser<http::string_body>> upstream_parser_;
  bool reused_ = false;
  Phase phase_ = Phase::kReading;
  int64_t phase_started_ = 0;
  bool timed_out_ = false;  // the sweep cut the upstream exchange short
};

}  // namespace

void ServeClient(tcp::socket socket, const std::string& listener_arn, uint16_t listener_port, Shared& shared,
                 LoopState& loop) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::make_shared<ClientSession>(std::move(socket), listener_arn, listener_port, shared, loop)->Start();
}

}  // namespace wharf::lb
