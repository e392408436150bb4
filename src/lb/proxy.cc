#include "lb/proxy.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <array>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory_resource>
#include <optional>

#include "base/logging.h"
#include "lb/request_check.h"
#include "lb/rules.h"
#include "lb/socket_mark.h"
#include "lb/wire.h"

namespace wharf::lb {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Sockets bound to the loop's own executor type: no type-erased executor copied on every
// operation. Plain sockets, not beast::basic_stream: timeouts are the sweep's job.
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;

// Idle keep-alive connections to targets, by endpoint id. One per loop.
class UpstreamPool {
 public:
  std::unique_ptr<Socket> Take(uint32_t endpoint) {
    if (endpoint >= idle_.size() || idle_[endpoint].empty()) return nullptr;
    auto socket = std::move(idle_[endpoint].back());
    idle_[endpoint].pop_back();
    return socket;
  }
  void Give(uint32_t endpoint, std::unique_ptr<Socket> socket) {
    if (endpoint >= idle_.size()) idle_.resize(endpoint + 1);
    if (idle_[endpoint].size() < 64) idle_[endpoint].push_back(std::move(socket));
  }
  void KeepOnly(const std::vector<bool>& live) {
    for (size_t e = 0; e < idle_.size(); ++e) {
      if (e >= live.size() || !live[e]) idle_[e].clear();
    }
  }

 private:
  std::vector<std::vector<std::unique_ptr<Socket>>> idle_;
};

namespace {
int64_t SteadySeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

LoopState::LoopState(asio::io_context& io_context, Shared& shared_state)
    : io(io_context), shared(shared_state), pool(std::make_unique<UpstreamPool>()),
      random_state(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())),
      now_seconds(SteadySeconds()), sweep_timer_(std::make_unique<asio::steady_timer>(io_context)) {
  Sweep();
}
LoopState::~LoopState() = default;

const std::shared_ptr<const LoopView>& LoopState::View() {
  uint64_t routing_version = shared.routing_version.load(std::memory_order_acquire);
  uint64_t health_generation = shared.health->Generation();
  if (view_ && view_->routing_version == routing_version && view_->health_generation == health_generation) {
    return view_;
  }
  auto view = std::make_shared<LoopView>();
  view->routing = shared.routing.load();
  view->routing_version = routing_version;
  view->health = shared.health->Snapshot();
  view->health_generation = health_generation;
  const Routing& routing = *view->routing;
  view->healthy.assign(routing.target_ids, 0);
  view->healthy_since_ms.assign(routing.target_ids, 0);
  for (const auto& [arn, group] : routing.groups) {
    for (const auto& t : group.targets) {
      auto h = view->health->find(t.health_key);
      if (h == view->health->end()) continue;
      view->healthy[t.id] = h->second.state == "healthy";
      view->healthy_since_ms[t.id] = h->second.healthy_since_ms;
    }
  }
  if (outstanding.size() < routing.target_ids) outstanding.resize(routing.target_ids, 0);
  if (round_robin.size() < routing.group_ids) round_robin.resize(routing.group_ids, 0);
  view_ = std::move(view);
  return view_;
}

void LoopState::PrunePool(const Routing& routing) {
  std::vector<bool> live(routing.endpoint_ids, false);
  for (const auto& [arn, group] : routing.groups) {
    for (const RoutedTarget* t : group.live) live[t->endpoint] = true;
  }
  pool->KeepOnly(live);
}

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

using Alloc = FieldAlloc;
using Request = ProxyRequest;
using Response = ProxyResponse;

constexpr uint64_t kMaxUpstreamBody = 256ull << 20;  // a target's answer is buffered: bounded
constexpr int kMaxInterimResponses = 8;  // 1xx answers before the final one; more is a 502

uint64_t NextRandom(LoopState& loop) {
  uint64_t z = (loop.random_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Root=1-<8 hex: epoch seconds>-<24 hex: random>
void TraceId(LoopState& loop, char (&out)[48]) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto put = [&](char* at, uint64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value >>= 4) at[i] = kHex[value & 15];
  };
  std::memcpy(out, "Root=1-", 7);
  put(out + 7, static_cast<uint64_t>(std::time(nullptr)), 8);
  out[15] = '-';
  put(out + 16, NextRandom(loop) >> 32, 8);
  put(out + 24, NextRandom(loop), 16);
  out[40] = '\0';
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

// The live target an AWSALB=<ip>:<port> cookie names, if any.
const RoutedTarget* PickSticky(const RoutedGroup& group, std::string_view cookie_header) {
  size_t at = cookie_header.find("AWSALB=");
  while (at != std::string_view::npos && at > 0 && cookie_header[at - 1] != ' ' && cookie_header[at - 1] != ';') {
    at = cookie_header.find("AWSALB=", at + 1);
  }
  if (at == std::string_view::npos) return nullptr;
  std::string_view value = cookie_header.substr(at + 7);
  value = value.substr(0, value.find(';'));
  for (const RoutedTarget* t : group.live) {
    if (value == t->sticky) return t;
  }
  return nullptr;
}

class ClientSession : public Watched, public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(tcp::socket socket, std::string listener_arn, uint16_t listener_port, LoopState& loop)
      : client_(loop.io.get_executor()), listener_arn_(std::move(listener_arn)), listener_port_(listener_port),
        listener_port_text_(std::to_string(listener_port)), loop_(loop) {
    beast::error_code ec;
    auto protocol = socket.local_endpoint(ec).protocol();
    if (!ec) client_.assign(protocol, socket.release(ec), ec);
    client_.non_blocking(true, ec);
    auto remote = client_.remote_endpoint(ec);
    if (!ec) client_ip_ = remote.address().to_string();
  }

  void Start() {
    loop_.watched.push_back(shared_from_this());
    ReadRequest();
  }

  // Waiting on the client too long closes the connection; waiting on the target too long
  // answers 504 (the load balancer's idle timeout, to the second).
  void CheckIdle(int64_t now) override {
    if (phase_ == Phase::kDone || now - phase_started_ <= idle_timeout_) {
      return;
    }
    if (phase_ == Phase::kUpstream || phase_ == Phase::kConnecting) {
      timed_out_ = true;
      beast::error_code ignored;
      if (upstream_) upstream_->close(ignored);
      return;
    }
    Close();
  }

 private:
  // --- the client's request -------------------------------------------------------------

  void ReadRequest() {
    request_.reset();
    response_.reset();
    parser_.reset();
    upstream_parser_.reset();
    arena_.release();
    parser_.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(Alloc(&arena_)));
    parser_->body_limit(loop_.shared.max_request_body);
    parser_->header_limit(64 * 1024);
    parser_->eager(true);
    ResolveListener();  // for the idle timeout; again when the request is in
    Enter(Phase::kReading);
    ContinueRequest();
  }

  // Parses what is buffered (a pipelined request may be there already), then reads.
  // Reads are the reactor's async_read_some: asio tries the socket at once (a read that may
  // find nothing) and otherwise waits for epoll. async_wait would never find nothing, but it
  // costs an epoll_ctl per wait, so it saves no system call. What keeps futile reads rare is
  // when a read starts: after a write, it is posted (see Send's callers), so the loop first
  // serves the other connections and the peer has had time to answer.
  void ContinueRequest() {
    beast::error_code ec;
    if (FeedParser(*parser_, client_in_, ec)) return OnRequest(ec);
    client_.async_read_some(client_in_.prepare(beast::read_size(client_in_, 65536)),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->client_in_.commit(n);
                              self->Guarded([&] {
                                if (ec == asio::error::eof) FeedEof(*self->parser_, ec);
                                ec ? self->OnRequest(ec) : self->ContinueRequest();
                              });
                            });
  }

  // The listener this connection came in on, in the newest view.
  void ResolveListener() {
    const auto& view = loop_.View();
    // Keyed on the routing object itself, not its version number: a view can be built between
    // the store of a new routing and the bump of the version, and listener_ must never point
    // into a routing this connection no longer holds.
    if (!view_ || view->routing != view_->routing) {
      view_ = view;
      listener_ = view_->routing->FindListener(listener_arn_);
      idle_timeout_ = listener_ ? listener_->idle_timeout_seconds : 60;
    } else {
      view_ = view;
    }
  }

  void OnRequest(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
      return Close();
    }
    if (ec) {  // malformed, smuggling-shaped or oversized: refuse and close (desync defence)
      keep_alive_ = false;
      return Reply(ErrorPage(400));
    }
    request_.emplace(parser_->release());
    Request& request = *request_;
    keep_alive_ = request.keep_alive();
    ResolveListener();  // the newest configuration takes this request
    if (!FramingProblem(request.base()).empty()) {  // desync mitigation: refuse and close
      keep_alive_ = false;
      return Reply(ErrorPage(400));
    }
    if (!listener_) return Reply(ErrorPage(503));
    std::string_view target = request.target();
    size_t q = target.find('?');
    std::string_view host = request[http::field::host];
    std::string_view host_only = host.substr(0, host.rfind(':') == std::string_view::npos ||
                                                        host.find(']') != std::string_view::npos
                                                    ? host.size() : host.rfind(':'));
    facts_.method = request.method_string();
    facts_.host = host_only;
    facts_.path = target.substr(0, q);
    facts_.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    facts_.headers.clear();
    for (const auto& f : request) facts_.headers.emplace_back(f.name_string(), f.value());
    facts_.source_ip = client_ip_;
    const Rule* rule = MatchRule(*listener_, facts_);
    if (!rule || rule->actions.empty()) return Reply(ErrorPage(503));
    const Action& action = rule->actions.back();  // the terminal action
    if (action.type == "fixed-response") {
      return Reply(Plain(action.fixed_status, action.fixed_body, action.fixed_content_type));
    }
    if (action.type == "redirect") return Redirect(action, host_only);
    Forward(action);
  }

  void Redirect(const Action& action, std::string_view host_only) {
    const std::string& port = listener_port_text_;
    auto expand = [&](const std::string& pattern) {
      return ExpandRedirect(pattern, "http", host_only, port, facts_.path, facts_.query);
    };
    std::string location = expand(action.redirect_protocol);
    for (char& c : location) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    location += "://" + expand(action.redirect_host);
    std::string to_port = expand(action.redirect_port);
    bool default_port = (to_port == "80" && (location.rfind("http:", 0) == 0)) ||
                        (to_port == "443" && location.rfind("https:", 0) == 0);
    if (!default_port) location += ":" + to_port;
    location += expand(action.redirect_path);
    std::string query = expand(action.redirect_query);
    if (!query.empty()) location += "?" + query;
    if (location.size() > 8192) return Reply(ErrorPage(400));  // fields are capped far below a long target
    Response res = Plain(action.redirect_status, "");
    res.set(http::field::location, location);
    Reply(std::move(res));
  }

  // --- choosing a target ----------------------------------------------------------------

  void Forward(const Action& action) {
    const Routing& routing = *view_->routing;
    auto forward = routing.forwards.find(&action);
    if (forward == routing.forwards.end()) return Reply(ErrorPage(503));
    const auto& choices = forward->second.choices;
    // The target group: weighted, or the one an AWSALBTG cookie names.
    const RoutedGroup* group = nullptr;
    group_cookie_ = action.group_stickiness_enabled && choices.size() > 1 ? action.group_stickiness_seconds : 0;
    if (group_cookie_ > 0) {
      std::string_view cookies = (*request_)[http::field::cookie];
      for (const auto& c : choices) {
        if (c.weight > 0 && c.group && cookies.find(c.group->group_cookie) != std::string_view::npos) group = c.group;
      }
    }
    if (!group && forward->second.total_weight > 0) {
      int64_t pick = static_cast<int64_t>(NextRandom(loop_) % static_cast<uint64_t>(forward->second.total_weight));
      for (const auto& c : choices) {
        pick -= c.weight;
        if (pick < 0) {
          group = c.group;
          break;
        }
      }
    }
    if (!group) return Reply(ErrorPage(503));
    group_ = group;
    // The target: healthy ones, or all live ones when none is (fail open); sticky when asked.
    const TargetGroup& tg = *group->group;
    const auto& live = group->live;
    if (live.empty()) return Reply(ErrorPage(503));
    healthy_.clear();
    for (const RoutedTarget* t : live) {
      if (!tg.health_check.enabled || view_->healthy[t->id]) healthy_.push_back(t);
    }
    const auto& pool = healthy_.empty() ? live : healthy_;
    const RoutedTarget* chosen = nullptr;
    if (tg.stickiness_enabled) {
      const RoutedTarget* sticky = PickSticky(*group, (*request_)[http::field::cookie]);
      if (sticky && std::find(pool.begin(), pool.end(), sticky) != pool.end()) chosen = sticky;
    }
    if (!chosen && group->least_outstanding) {
      for (const RoutedTarget* t : pool) {
        if (!chosen || loop_.outstanding[t->id] < loop_.outstanding[chosen->id]) chosen = t;
      }
    }
    if (!chosen) chosen = pool[loop_.round_robin[group->id]++ % pool.size()];
    if (tg.slow_start_seconds > 0 && pool.size() > 1) chosen = SlowStart(tg, pool, chosen);
    target_ = chosen;
    in_flight_ = true;
    ++loop_.outstanding[target_->id];
    sent_at_ = std::chrono::steady_clock::now();
    PrepareUpstreamRequest();
    if (auto pooled = loop_.pool->Take(target_->endpoint)) {
      upstream_ = std::move(pooled);
      reused_ = true;
      return SendUpstream();
    }
    Connect();
  }

  // A target still in its slow-start window takes a share of its turns that grows linearly
  // with the time since it became healthy; the other turns go to a target past its window.
  const RoutedTarget* SlowStart(const TargetGroup& tg, const std::vector<const RoutedTarget*>& pool,
                                const RoutedTarget* chosen) {
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch()).count();
    auto ramp = [&](const RoutedTarget* t) {
      int64_t since = view_->healthy_since_ms[t->id];
      if (since == 0) return 1.0;
      double elapsed = static_cast<double>(now_ms - since) / 1000.0;
      return std::min(1.0, elapsed / tg.slow_start_seconds);
    };
    double share = ramp(chosen);
    if (share >= 1.0 || static_cast<double>(NextRandom(loop_) % 10000) / 10000.0 < share) return chosen;
    for (const RoutedTarget* t : pool) {
      if (ramp(t) >= 1.0) return t;
    }
    return chosen;
  }

  // --- the exchange with the target ------------------------------------------------------

  void PrepareUpstreamRequest() {
    Request& request = *request_;
    // Hop-by-hop fields stay here; Expect too, since the whole body is already in hand.
    for (auto field : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                       http::field::te, http::field::upgrade, http::field::expect}) {
      request.erase(field);
    }
    std::string_view xff = request["X-Forwarded-For"];
    if (xff.empty()) {
      request.set("X-Forwarded-For", client_ip_);
    } else {
      std::string joined;
      joined.reserve(xff.size() + 2 + client_ip_.size());
      joined.append(xff).append(", ").append(client_ip_);
      request.set("X-Forwarded-For", joined);
    }
    request.set("X-Forwarded-Proto", "http");
    request.set("X-Forwarded-Port", listener_port_text_);
    if (request.find("X-Amzn-Trace-Id") == request.end()) {
      char trace[48];
      TraceId(loop_, trace);
      request.set("X-Amzn-Trace-Id", std::string_view(trace));
    }
    request.keep_alive(true);
    request.prepare_payload();
  }

  void Connect() {
    reused_ = false;
    if (!target_->address_ok) return UpstreamFailed(502);
    upstream_ = std::make_unique<Socket>(loop_.io.get_executor());
    SetSocketMark(*upstream_, target_->address.protocol(), target_->target->socket_mark);
    SetSocketDevice(*upstream_, target_->address.protocol(), target_->target->bind_device);
    upstream_in_.clear();
    Enter(Phase::kConnecting);
    upstream_->async_connect(target_->address, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->UpstreamFailed(self->timed_out_ ? 504 : 502);
      beast::error_code ignored;
      self->upstream_->set_option(tcp::no_delay(true), ignored);
      self->upstream_->non_blocking(true, ignored);
      self->SendUpstream();
    });
  }

  void SendUpstream() {
    Enter(Phase::kUpstream);
    interim_responses_ = 0;
    Head(*request_);
    Send(*upstream_, request_->body(), [this](beast::error_code ec) {
      if (ec) return timed_out_ ? UpstreamFailed(504) : RetryOrFail(502);
      // Posted, not called: the answer cannot be here yet (see ContinueRequest).
      asio::post(loop_.io, [self = shared_from_this()] { self->Guarded([&] { self->ReadUpstreamResponse(); }); });
    });
  }

  // A pooled connection the target had closed: one fresh attempt before giving up, unless
  // the target had begun to answer (the request may have been acted on).
  void RetryOrFail(int status) {
    bool answered = interim_responses_ > 0 || (upstream_parser_ && upstream_parser_->got_some());
    if (reused_ && !answered) {
      upstream_.reset();
      upstream_in_.clear();
      return Connect();
    }
    UpstreamFailed(status);
  }

  void ReadUpstreamResponse() {
    upstream_parser_.reset();
    upstream_parser_.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(Alloc(&arena_)));
    upstream_parser_->body_limit(kMaxUpstreamBody);
    upstream_parser_->eager(true);
    if (request_->method() == http::verb::head) upstream_parser_->skip(true);
    ContinueResponse();
  }

  void ContinueResponse() {
    beast::error_code ec;
    if (FeedParser(*upstream_parser_, upstream_in_, ec)) return OnUpstreamResponse(ec);
    upstream_->async_read_some(upstream_in_.prepare(beast::read_size(upstream_in_, 65536)),
                               [self = shared_from_this()](beast::error_code ec, size_t n) {
                                 self->upstream_in_.commit(n);
                                 self->Guarded([&] {
                                   if (ec == asio::error::eof) FeedEof(*self->upstream_parser_, ec);
                                   ec ? self->OnUpstreamResponse(ec) : self->ContinueResponse();
                                 });
                               });
  }

  void OnUpstreamResponse(beast::error_code ec) {
    if (timed_out_) return UpstreamFailed(504);
    if (ec == http::error::body_limit) return UpstreamFailed(502);
    if (ec) return RetryOrFail(502);
    int status = upstream_parser_->get().result_int();
    if (status >= 100 && status < 200 && status != 101) {  // interim: the final one follows
      // A target sending interim answers without end would grow the arena and the stack.
      if (++interim_responses_ > kMaxInterimResponses) return UpstreamFailed(502);
      return ReadUpstreamResponse();
    }
    // Not reusable when the target said close, when its body ran to the end of the stream,
    // after a 101 (the connection is the other protocol's now), or when the target drains.
    bool reusable = upstream_parser_->keep_alive() && status != 101 && !target_->target->draining;
    response_.emplace(upstream_parser_->release());
    Response& res = *response_;
    Done();
    CountTarget(status);
    if (reusable && upstream_in_.size() == 0) loop_.pool->Give(target_->endpoint, std::move(upstream_));
    upstream_.reset();
    upstream_in_.clear();
    for (auto field : {http::field::connection, http::field::keep_alive}) res.erase(field);
    res.version(11);  // clients talk HTTP/1.1 with us, whatever the target speaks
    const TargetGroup& tg = *group_->group;
    if (group_cookie_ > 0) {
      res.insert(http::field::set_cookie,
                 group_->group_cookie + "; Max-Age=" + std::to_string(group_cookie_) + "; Path=/");
    }
    if (tg.stickiness_enabled) {
      res.insert(http::field::set_cookie, "AWSALB=" + target_->sticky + "; Max-Age=" +
                                              std::to_string(tg.stickiness_duration_seconds) + "; Path=/");
    }
    Reply();
  }

  // The request left the target's count of outstanding requests.
  void Done() {
    if (in_flight_) --loop_.outstanding[target_->id];
    in_flight_ = false;
  }

  void UpstreamFailed(int status) {
    timed_out_ = false;
    Done();
    upstream_.reset();
    upstream_in_.clear();
    Reply(ErrorPage(status));
  }

  // --- the answer ---------------------------------------------------------------------------

  // --- what CloudWatch sees (lb/traffic.h) --------------------------------------------------

  // An answer from the target: its class and the time from sending the request to its head.
  void CountTarget(int status) {
    if (!listener_ || !group_) return;
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent_at_).count();
    LoadBalancerTraffic& lb = loop_.traffic.load_balancers[listener_->load_balancer_arn];
    lb.total.CountTarget(status, ms);
    lb.groups[group_->group->arn].CountTarget(status, ms);
  }

  // An answer of the load balancer's own: an error, a redirect or a fixed response.
  void CountElb(int status) {
    if (listener_) loop_.traffic.load_balancers[listener_->load_balancer_arn].total.CountElb(status);
  }

  void Reply(Response&& res) {
    CountElb(res.result_int());
    response_.reset();
    response_.emplace(std::move(res));
    Reply();
  }

  // Writes response_ to the client.
  void Reply() {
    Response& res = *response_;
    bool head_request = request_ && request_->method() == http::verb::head;
    res.keep_alive(keep_alive_);
    int code = res.result_int();
    if (code < 200 || code == 204 || code == 304) res.body().clear();  // these carry no body
    if (!head_request) res.prepare_payload();
    Head(res);
    Enter(Phase::kWriting);
    Send(client_, head_request ? std::string_view() : std::string_view(res.body()), [this](beast::error_code ec) {
      if (ec || !keep_alive_) return Close();
      group_ = nullptr;
      // Posted, not called: the next request is rarely here yet (see ContinueRequest), and a
      // long pipeline of requests answered at once cannot deepen the stack.
      asio::post(loop_.io, [self = shared_from_this()] { self->Guarded([&] { self->ReadRequest(); }); });
    });
  }

  // The start line and header fields into out_head_: one buffer to write instead of a
  // buffer sequence per field.
  void Head(const Request& r) {
    out_head_.clear();
    out_head_.append(r.method_string()).append(" ").append(r.target()).append(" HTTP/1.1\r\n");
    AppendFields(r);
  }
  void Head(const Response& r) {
    out_head_.clear();
    out_head_.append("HTTP/1.1 ").append(std::to_string(r.result_int())).append(" ").append(r.reason()).append("\r\n");
    AppendFields(r);
  }
  template <typename Message>
  void AppendFields(const Message& m) {
    for (const auto& f : m) out_head_.append(f.name_string()).append(": ").append(f.value()).append("\r\n");
    out_head_.append("\r\n");
  }

  // Writes out_head_ and `body` to `socket` and calls `done(ec)`: at once when the socket
  // takes it all (the usual case: no trip through the loop), else once the loop wrote the rest.
  template <typename Done>
  void Send(Socket& socket, std::string_view body, Done&& done) {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_), asio::buffer(body.data(), body.size())};
    beast::error_code ec;
    size_t sent = socket.send(buffers, 0, ec);
    if (ec == asio::error::would_block) {
      ec = {};
      sent = 0;
    }
    if (ec || sent == out_head_.size() + body.size()) return done(ec);
    beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(buffers);
    rest.consume(sent);
    asio::async_write(socket, rest, [self = shared_from_this(), done](beast::error_code ec, size_t) mutable {
      self->Guarded([&] { done(ec); });
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
      Done();
      upstream_.reset();
      response_.reset();
      response_.emplace(ErrorPage(500));
      response_->keep_alive(false);
      response_->prepare_payload();
      Head(*response_);
      std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_), asio::buffer(response_->body())};
      asio::async_write(client_, buffers, [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
    }
  }

  enum class Phase { kReading, kConnecting, kUpstream, kWriting, kDone };
  void Enter(Phase phase) {
    phase_ = phase;
    phase_started_ = loop_.now_seconds;
  }

  void Close() {
    phase_ = Phase::kDone;
    beast::error_code ignored;
    client_.shutdown(tcp::socket::shutdown_send, ignored);
    client_.close(ignored);
  }

  Socket client_;
  std::string listener_arn_;
  uint16_t listener_port_;
  std::string listener_port_text_;
  LoopState& loop_;
  std::string client_ip_;
  beast::flat_buffer client_in_;  // read from the client, not parsed yet (pipelined requests)
  // The view this request routes by (pinned: target_ and group_ point into it), and the
  // listener in it.
  std::shared_ptr<const LoopView> view_;
  const Listener* listener_ = nullptr;
  int idle_timeout_ = 60;
  // The arena's first block lives in the session: most requests never reach the heap.
  alignas(std::max_align_t) std::byte arena_block_[4096];
  std::pmr::monotonic_buffer_resource arena_{arena_block_, sizeof arena_block_};
  std::optional<RequestParser> parser_;
  std::optional<Request> request_;
  std::optional<Response> response_;  // the answer being written
  RequestFacts facts_;
  std::string out_head_;  // the head being written
  bool keep_alive_ = true;
  const RoutedGroup* group_ = nullptr;
  std::vector<const RoutedTarget*> healthy_;
  int group_cookie_ = 0;  // seconds, when the forward action keeps clients on one group
  const RoutedTarget* target_ = nullptr;
  bool in_flight_ = false;  // counted in loop_.outstanding[target_->id]
  std::chrono::steady_clock::time_point sent_at_;  // when the request went to target_
  std::unique_ptr<Socket> upstream_;
  beast::flat_buffer upstream_in_;
  std::optional<ResponseParser> upstream_parser_;
  bool reused_ = false;
  int interim_responses_ = 0;  // 1xx answers to the current request
  Phase phase_ = Phase::kReading;
  int64_t phase_started_ = 0;
  bool timed_out_ = false;  // the sweep cut the upstream exchange short
};

}  // namespace

void ServeClient(tcp::socket socket, const std::string& listener_arn, uint16_t listener_port, LoopState& loop) {
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::make_shared<ClientSession>(std::move(socket), listener_arn, listener_port, loop)->Start();
}

}  // namespace wharf::lb
