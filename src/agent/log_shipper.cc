#include "agent/log_shipper.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "base/logging.h"
#include "model/json.h"

namespace wharf::agent {
namespace json = boost::json;

namespace {

// CloudWatch Logs' PutLogEvents limits.
constexpr size_t kMaxBatchEvents = 10000;
constexpr size_t kMaxBatchBytes = 1048576;
constexpr size_t kEventOverhead = 26;
constexpr size_t kMaxEventBytes = 262144 - kEventOverhead;
constexpr size_t kReadChunk = 1 << 20;
constexpr auto kTick = std::chrono::milliseconds(50);
constexpr auto kQuietLook = std::chrono::milliseconds(500);

constexpr char kLogsTarget[] = "Logs_20140328.";

bool IsCode(const Status& st, std::string_view code) { return st.message().rfind(code, 0) == 0; }

}  // namespace

Result<std::optional<LogDestination>> AwslogsDestination(const json::object& def, const std::string& task_id) {
  auto config = def.find("logConfiguration");
  if (config == def.end() || !config->value().is_object()) return std::optional<LogDestination>();
  const json::object& c = config->value().get_object();
  if (GetString(c, "logDriver") != "awslogs") return std::optional<LogDestination>();
  json::object options;
  if (auto it = c.find("options"); it != c.end() && it->value().is_object()) options = it->value().get_object();
  LogDestination d;
  d.group = GetString(options, "awslogs-group");
  if (d.group.empty()) return Status::InvalidArgument("awslogs needs the awslogs-group option");
  std::string prefix = GetString(options, "awslogs-stream-prefix");
  std::string name = GetString(def, "name");
  d.stream = prefix.empty() ? task_id + "/" + name : prefix + "/" + name + "/" + task_id;
  d.create_group = GetString(options, "awslogs-create-group") == "true";
  d.region = GetString(options, "awslogs-region");
  return std::optional<LogDestination>(d);
}

bool ParseLogRecord(std::string_view line, LogRecord* r) {
  // 2026-11-22T01:02:03.123456789Z stdout F text
  size_t s1 = line.find(' ');
  if (s1 == std::string_view::npos) return false;
  size_t s2 = line.find(' ', s1 + 1);
  if (s2 == std::string_view::npos || s2 + 2 > line.size()) return false;
  std::string_view time = line.substr(0, s1);
  char tag = line[s2 + 1];
  if (tag != 'F' && tag != 'P') return false;
  struct tm tm {};
  std::string t(time);
  const char* rest = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return false;
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  if (*rest == '.') {
    int digits = 0, frac = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, ++digits) {
      if (digits < 3) frac = frac * 10 + (*rest - '0');
    }
    for (; digits < 3; ++digits) frac *= 10;
    ms += frac;
  }
  // A zone offset other than Z ("+01:00") shifts the time.
  if (*rest == '+' || *rest == '-') {
    int hours = 0, minutes = 0;
    if (std::sscanf(rest + 1, "%d:%d", &hours, &minutes) == 2) {
      int64_t offset = (hours * 60 + minutes) * 60000;
      ms += *rest == '+' ? -offset : offset;
    }
  }
  r->timestamp_ms = ms;
  r->partial = tag == 'P';
  r->text = std::string(s2 + 3 <= line.size() ? line.substr(s2 + 3) : std::string_view());
  return true;
}

struct LogShipper::Follower {
  std::string path;
  LogDestination destination;
  bool prepared = false;
  int64_t offset = 0;
  bool finishing = false, done = false;  // written under LogShipper::mu_ (done: by the loop)
  std::chrono::steady_clock::time_point retry_at{};
  // A quiet file is looked at less often: every tick while it grows, then backing off to
  // kQuietLook after a second of silence (a live tail still sees a line within about 0.5 s).
  std::chrono::steady_clock::time_point look_at{};
  std::chrono::steady_clock::time_point grew_at = std::chrono::steady_clock::now();
  std::string StatePath() const { return path + ".shipped"; }
};

LogShipper::~LogShipper() { Stop(); }

void LogShipper::Start() { thread_ = std::thread([this] { Loop(); }); }

void LogShipper::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void LogShipper::Add(const std::string& log_path, const LogDestination& destination) {
  MutexLock lock(mu_);
  if (followers_.count(log_path)) return;
  auto f = std::make_shared<Follower>();
  f->path = log_path;
  f->destination = destination;
  followers_[log_path] = std::move(f);
  cv_.SignalAll();
}

void LogShipper::Finish(const std::string& log_path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mu_);
  auto it = followers_.find(log_path);
  if (it == followers_.end()) return;
  std::shared_ptr<Follower> f = it->second;
  f->finishing = true;
  cv_.SignalAll();
  while (!f->done && !stopping_ && cv_.WaitUntil(mu_, deadline)) {
  }
  followers_.erase(log_path);
}

Result<json::object> LogShipper::Call(const LogDestination& d, std::string_view operation, const json::object& input) {
  std::optional<SessionCredentials> role;
  if (!d.execution_task_arn.empty()) {
    if (!sessions_) return Status::FailedPrecondition("this node has no execution role sessions");
    ASSIGN_OR_RETURN(role, sessions_->Get(d.execution_task_arn));
  }
  return server_.Call("logs", std::string(kLogsTarget) + std::string(operation), input, d.region,
                      role ? &*role : nullptr);
}

Status LogShipper::CreateStream(const LogDestination& d) {
  if (d.create_group) {
    auto r = Call(d, "CreateLogGroup", {{"logGroupName", d.group}});
    if (!r.ok() && !IsCode(r.status(), "ResourceAlreadyExistsException")) return r.status();
  }
  auto r = Call(d, "CreateLogStream", {{"logGroupName", d.group}, {"logStreamName", d.stream}});
  if (!r.ok() && !IsCode(r.status(), "ResourceAlreadyExistsException")) return r.status();
  return Status::OK();
}

Status LogShipper::Prepare(Follower& f) {
  const LogDestination& d = f.destination;
  RETURN_IF_ERROR(CreateStream(d));
  // Where the last agent got to, and whether its last batch landed.
  std::ifstream in(f.StatePath());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (!ec && v.is_object()) {
    const json::object& state = v.get_object();
    f.offset = state.contains("offset") ? state.at("offset").to_number<int64_t>() : 0;
    if (state.contains("pendingEnd")) {
      const json::object& last = state.at("pendingLast").as_object();
      ASSIGN_OR_RETURN(json::object got, Call(d, "GetLogEvents",
                                              {{"logGroupName", d.group}, {"logStreamName", d.stream},
                                               {"limit", 1}, {"startFromHead", false}}));
      const json::array& events = got["events"].as_array();
      if (!events.empty() && events[0].as_object().at("timestamp") == last.at("timestamp") &&
          events[0].as_object().at("message") == last.at("message")) {
        f.offset = state.at("pendingEnd").to_number<int64_t>();  // it landed before the restart
      }
    }
  }
  f.prepared = true;
  return Status::OK();
}

bool LogShipper::Ship(Follower& f, bool finishing) {
  if (!f.prepared) {
    Status st = Prepare(f);
    if (!st.ok()) {
      LOG_WARN("msg=\"log stream not ready\" group={} stream={} error=\"{}\"", f.destination.group,
               f.destination.stream, st.ToString());
      return false;
    }
  }
  // An idle container's log costs one stat a tick: nothing is opened, and no buffer is made,
  // unless the file grew (a 1 MiB buffer zeroed every 50 ms per follower was most of a node's
  // CPU with many idle awslogs tasks; issue 17).
  struct stat st {};
  if (::stat(f.path.c_str(), &st) != 0) return true;  // not written yet
  if (st.st_size <= f.offset) return true;
  FILE* file = std::fopen(f.path.c_str(), "rb");
  if (!file) return true;
  std::string data(std::min<size_t>(kReadChunk, static_cast<size_t>(st.st_size - f.offset)), '\0');
  std::fseek(file, f.offset, SEEK_SET);
  size_t n = std::fread(data.data(), 1, data.size(), file);
  std::fclose(file);
  data.resize(n);

  json::array events;
  size_t batch_bytes = 0;
  int64_t consumed = 0;   // bytes of whole logical lines taken
  std::string message;    // a line assembled from partial records
  int64_t message_time = 0;
  size_t pos = 0;
  bool read_all = false;  // every whole record of the file is in `data` and was taken
  while (events.size() < kMaxBatchEvents) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) {  // the end of what was read, or a record still being written
      read_all = f.offset + static_cast<int64_t>(n) == st.st_size;
      break;
    }
    LogRecord r;
    std::string_view line(data.data() + pos, nl - pos);
    pos = nl + 1;
    if (!ParseLogRecord(line, &r)) {
      consumed = static_cast<int64_t>(pos);
      continue;
    }
    if (message.empty()) message_time = r.timestamp_ms;
    message += r.text;
    if (r.partial && message.size() < kMaxEventBytes) continue;
    if (message.size() > kMaxEventBytes) message.resize(kMaxEventBytes);
    if (batch_bytes + message.size() + kEventOverhead > kMaxBatchBytes) break;
    batch_bytes += message.size() + kEventOverhead;
    events.push_back(json::object{{"timestamp", message_time}, {"message", message}});
    message.clear();
    consumed = static_cast<int64_t>(pos);
  }
  if (finishing && read_all && !message.empty() && events.size() < kMaxBatchEvents &&
      batch_bytes + message.size() + kEventOverhead <= kMaxBatchBytes) {
    events.push_back(json::object{{"timestamp", message_time}, {"message", message}});
    consumed = static_cast<int64_t>(pos);
  }
  if (events.empty()) {
    f.offset += consumed;
    return true;
  }
  int64_t end = f.offset + consumed;
  json::object pending{{"offset", f.offset}, {"pendingEnd", end}, {"pendingLast", events.back()}};
  {
    std::ofstream out(f.StatePath() + ".tmp", std::ios::trunc);
    out << json::serialize(pending);
  }
  std::rename((f.StatePath() + ".tmp").c_str(), f.StatePath().c_str());
  auto r = Call(f.destination, "PutLogEvents",
                {{"logGroupName", f.destination.group},
                 {"logStreamName", f.destination.stream},
                 {"logEvents", std::move(events)}});
  if (!r.ok()) {
    LOG_WARN("msg=\"log shipping failed\" stream={} error=\"{}\"", f.destination.stream, r.status().ToString());
    if (IsCode(r.status(), "ResourceNotFoundException")) f.prepared = false;
    return false;
  }
  f.offset = end;
  {
    std::ofstream out(f.StatePath() + ".tmp", std::ios::trunc);
    out << json::serialize(json::object{{"offset", f.offset}});
  }
  std::rename((f.StatePath() + ".tmp").c_str(), f.StatePath().c_str());
  return true;
}

void LogShipper::Loop() {
  MutexLock lock(mu_);
  while (!stopping_) {
    std::vector<std::shared_ptr<Follower>> followers;
    for (auto& [_, f] : followers_) followers.push_back(f);
    lock.Unlock();
    for (auto& f : followers) {
      const auto now = std::chrono::steady_clock::now();
      if (f->done || now < f->retry_at) continue;
      bool finishing;
      {
        MutexLock l(mu_);
        finishing = f->finishing;
      }
      if (!finishing && now < f->look_at) continue;
      const int64_t start = f->offset;
      // Ship until the file is drained (a flood is sent in 1 MiB batches back to back).
      int64_t before;
      bool ok;
      do {
        before = f->offset;
        ok = Ship(*f, finishing);
      } while (ok && f->offset != before);
      if (!ok) f->retry_at = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      if (f->offset != start) f->grew_at = now;
      f->look_at = now - f->grew_at < std::chrono::seconds(1) ? now : now + kQuietLook;
      if (ok && finishing) {
        MutexLock l(mu_);
        f->done = true;
        cv_.SignalAll();
      }
    }
    lock.Lock();
    cv_.WaitFor(mu_, kTick);
  }
}

}  // namespace wharf::agent
