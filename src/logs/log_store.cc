#include "logs/log_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <set>

#include "base/crypto.h"
#include "base/logging.h"

namespace wharf::logs {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kSegmentBytes = 8 << 20;
constexpr int64_t kSegmentSpanMs = 24LL * 3600 * 1000;

std::string NameHash(std::string_view name) { return HexEncode(Sha256(name)).substr(0, 20); }

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("open " + dir + ": " + std::strerror(errno));
  int rc = fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::Unavailable("fsync " + dir + ": " + std::strerror(errno));
  return Status::OK();
}

// Makes `dir` (if absent) with a `name` file saying what it holds, durable in its parent.
Status MakeNamedDir(const std::string& dir, std::string_view name) {
  if (fs::exists(dir)) return Status::OK();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("create " + dir + ": " + ec.message());
  std::string path = dir + "/name";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Unavailable("open " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, name.data(), name.size()) == static_cast<ssize_t>(name.size()) && fdatasync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::Unavailable("write " + path + ": " + std::strerror(errno));
  RETURN_IF_ERROR(SyncDir(dir));
  return SyncDir(fs::path(dir).parent_path().string());
}

Status WriteAll(int fd, std::string_view data, uint64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Unavailable(std::string("write log segment: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::OK();
}

}  // namespace

struct LogStore::Stream {
  // Constant once published in streams_.
  StreamId id;
  std::string dir;
  // Protected by mu: what readers see.
  Mutex mu;
  std::vector<std::shared_ptr<Segment>> segments GUARDED_BY(mu);  // ascending seq
  bool dropped GUARDED_BY(mu) = false;
  // The writer thread's view of the open (last) segment, ahead of what is published.
  std::shared_ptr<Segment> open;
  uint64_t write_size = 0;
  int64_t open_first_ts = 0, open_max_ts = 0;
  uint64_t next_seq = 1;
};

void Batch::Add(int64_t timestamp, std::string_view message, bool sealed) {
  size_t before = records.size();
  EncodeRecord(timestamp, ingestion_time, message, records, sealed);
  timestamps.push_back(timestamp);
  sizes.push_back(static_cast<uint32_t>(records.size() - before));
}

Result<std::unique_ptr<LogStore>> LogStore::Open(std::string root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::Unavailable("create " + root + ": " + ec.message());
  std::unique_ptr<LogStore> store(new LogStore(std::move(root)));
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

LogStore::~LogStore() {
  {
    MutexLock lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.SignalAll();
  if (writer_.joinable()) writer_.join();
}

std::string LogStore::StreamDir(const StreamId& id) const {
  return root_ + "/" + NameHash(id.group) + "/" + NameHash(id.stream);
}

Result<std::shared_ptr<LogStore::Stream>> LogStore::Find(const StreamId& id, bool create) {
  MutexLock lock(streams_mu_);
  if (auto it = streams_.find(id); it != streams_.end()) return it->second;
  std::string dir = StreamDir(id);
  if (!fs::exists(dir)) {
    if (!create) return std::shared_ptr<Stream>();
    RETURN_IF_ERROR(MakeNamedDir(fs::path(dir).parent_path().string(), id.group));
    RETURN_IF_ERROR(MakeNamedDir(dir, id.stream));
  }
  auto stream = std::make_shared<Stream>();
  stream->id = id;
  stream->dir = dir;
  std::vector<std::pair<uint64_t, std::string>> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".seg")) continue;
    files.emplace_back(std::strtoull(name.c_str(), nullptr, 10), entry.path().string());
  }
  if (ec) return Status::Unavailable("list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  MutexLock stream_lock(stream->mu);
  for (const auto& [seq, path] : files) {
    auto segment = Segment::Open(path, seq, false);
    if (!segment.ok()) return segment.status().WithContext("open log segment");
    stream->segments.push_back(std::move(segment).value());
    stream->next_seq = seq + 1;
  }
  if (!stream->segments.empty()) {
    const auto& last = stream->segments.back();
    stream->open = last;
    stream->write_size = last->durable_size;
    stream->open_first_ts = last->count ? last->min_ts : 0;
    stream->open_max_ts = last->count ? last->max_ts : INT64_MIN;
  }
  streams_[id] = stream;
  return stream;
}

void LogStore::Append(const StreamId& id, Batch&& batch, std::function<void(Status)> done) {
  auto stream = Find(id, true);
  if (!stream.ok()) return done(stream.status());
  {
    MutexLock lock(queue_mu_);
    queue_.push_back(Pending{std::move(stream).value(), std::move(batch), std::move(done)});
  }
  queue_cv_.Signal();
}

Status LogStore::AppendAndWait(const StreamId& id, Batch&& batch) {
  std::promise<Status> result;
  Append(id, std::move(batch), [&result](Status s) { result.set_value(std::move(s)); });
  return result.get_future().get();
}

void LogStore::WriterLoop() {
  for (;;) {
    std::vector<Pending> round;
    std::deque<std::function<void()>> tasks;
    {
      MutexLock lock(queue_mu_);
      while (!stopping_ && queue_.empty() && tasks_.empty()) queue_cv_.Wait(queue_mu_);
      if (queue_.empty() && tasks_.empty()) return;  // stopping, nothing left
      round.swap(queue_);
      tasks.swap(tasks_);
    }
    if (!round.empty()) CommitRound(round);
    for (auto& task : tasks) task();
  }
}

// Writes every queued batch, flushes each touched file once, then publishes and answers.
void LogStore::CommitRound(std::vector<Pending>& round) {
  struct Written {
    std::shared_ptr<Segment> segment;
    uint64_t offset = 0;
    Status status;
  };
  std::vector<Written> written(round.size());
  std::set<std::shared_ptr<Segment>> touched;
  for (size_t i = 0; i < round.size(); ++i) {
    Stream& s = *round[i].stream;
    const Batch& b = round[i].batch;
    {
      MutexLock lock(s.mu);
      if (s.dropped) {
        written[i].status = Status::NotFound("the log stream was deleted");
        continue;
      }
    }
    if (b.timestamps.empty()) continue;
    bool roll = !s.open || s.write_size >= kSegmentBytes ||
                (s.write_size > 0 && (b.timestamps.front() < s.open_max_ts ||
                                      b.timestamps.back() >= s.open_first_ts + kSegmentSpanMs));
    if (!roll && s.write_size == 0) s.open_first_ts = b.timestamps.front();
    if (roll) {
      char name[64];
      std::snprintf(name, sizeof name, "/%010llu-%lld.seg", static_cast<unsigned long long>(s.next_seq),
                    static_cast<long long>(b.timestamps.front()));
      auto segment = Segment::Open(s.dir + name, s.next_seq, true);
      Status synced = segment.ok() ? SyncDir(s.dir) : segment.status();
      if (!synced.ok()) {
        written[i].status = synced;
        continue;
      }
      s.open = std::move(segment).value();
      s.next_seq++;
      s.write_size = 0;
      s.open_first_ts = b.timestamps.front();
      s.open_max_ts = INT64_MIN;
      MutexLock lock(s.mu);
      s.segments.push_back(s.open);
    }
    Status w = WriteAll(s.open->fd(), b.records, s.write_size);
    if (!w.ok()) {
      // Leave no half batch behind: readers stop at durable_size, and the next write
      // starts where this one did.
      (void)ftruncate(s.open->fd(), static_cast<off_t>(s.write_size));
      written[i].status = w;
      continue;
    }
    written[i].segment = s.open;
    written[i].offset = s.write_size;
    s.write_size += b.records.size();
    s.open_max_ts = std::max(s.open_max_ts, b.timestamps.back());
    touched.insert(s.open);
  }
  std::set<std::shared_ptr<Segment>> failed;
  for (const auto& segment : touched) {
    if (fdatasync(segment->fd()) != 0) {
      LOG_ERROR("msg=\"log segment flush failed\" path={} error=\"{}\"", segment->path(), std::strerror(errno));
      failed.insert(segment);
    }
  }
  for (size_t i = 0; i < round.size(); ++i) {
    Written& w = written[i];
    if (w.segment && failed.count(w.segment)) w.status = Status::Unavailable("flush log segment failed");
    if (w.status.ok() && w.segment) {
      Stream& s = *round[i].stream;
      const Batch& b = round[i].batch;
      MutexLock lock(s.mu);
      uint64_t offset = w.offset;
      for (size_t k = 0; k < b.timestamps.size(); ++k) {
        w.segment->Note(b.timestamps[k], b.ingestion_time, offset);
        offset += b.sizes[k];
      }
      w.segment->durable_size = offset;
    }
    round[i].done(w.status);
  }
}

Status LogStore::RunOnWriter(std::function<Status()> task) {
  std::promise<Status> result;
  {
    MutexLock lock(queue_mu_);
    tasks_.push_back([&] { result.set_value(task()); });
  }
  queue_cv_.Signal();
  return result.get_future().get();
}

Result<StreamStats> LogStore::Stats(const StreamId& id) {
  ASSIGN_OR_RETURN(auto stream, Find(id, false));
  StreamStats stats;
  if (!stream) return stats;
  MutexLock lock(stream->mu);
  for (const auto& seg : stream->segments) {
    if (seg->count == 0) continue;
    stats.event_count += seg->count;
    stats.stored_bytes += seg->durable_size;
    if (!stats.first_event_time || seg->min_ts < *stats.first_event_time) stats.first_event_time = seg->min_ts;
    if (!stats.last_event_time || seg->max_ts > *stats.last_event_time) stats.last_event_time = seg->max_ts;
    if (!stats.last_ingestion_time || seg->max_ingestion > *stats.last_ingestion_time) {
      stats.last_ingestion_time = seg->max_ingestion;
    }
  }
  return stats;
}

Result<StreamRead> LogStore::Read(const StreamId& id, const StreamQuery& q) {
  StreamRead out;
  ASSIGN_OR_RETURN(auto stream, Find(id, false));
  if (!stream || q.limit == 0) return out;
  int64_t lo = std::max(q.min_time, q.after ? q.after->timestamp : INT64_MIN);
  int64_t hi = std::min(q.max_time, q.before ? q.before->timestamp : INT64_MAX);
  if (lo > hi) return out;
  struct View {
    std::shared_ptr<Segment> segment;
    uint64_t start = 0, end = 0;
    int64_t min_ts = 0, max_ts = 0;
  };
  std::vector<View> views;
  {
    MutexLock lock(stream->mu);
    for (const auto& seg : stream->segments) {
      if (seg->count == 0 || seg->max_ts < lo || seg->min_ts > hi) continue;
      views.push_back(View{seg, seg->SeekTime(lo), seg->durable_size, seg->min_ts, seg->max_ts});
    }
  }
  auto wanted = [&](const StoredEvent& e) {
    if (q.after && !(*q.after < e.position)) return false;
    if (q.before && !(e.position < *q.before)) return false;
    return !q.match || q.match(e);
  };
  auto by_position = [](const StoredEvent& a, const StoredEvent& b) { return a.position < b.position; };
  if (q.forward) {
    std::sort(views.begin(), views.end(), [](const View& a, const View& b) {
      return std::tie(a.min_ts, a.segment) < std::tie(b.min_ts, b.segment);
    });
    for (const View& v : views) {
      if (out.events.size() >= q.limit) {
        std::sort(out.events.begin(), out.events.end(), by_position);
        out.events.resize(q.limit);
        if (out.events.back().position < Position{v.min_ts, 0, 0}) break;
      }
      if (out.scanned_bytes >= q.scan_budget && &v != &views.front()) {
        out.frontier = Position{v.min_ts, 0, 0};
        break;
      }
      size_t taken = 0;
      RETURN_IF_ERROR(v.segment->Scan(v.start, v.end, [&](StoredEvent&& e) {
        out.scanned_bytes += kRecordHeader + e.message.size();
        if (e.position.timestamp > hi) return false;
        if (e.position.timestamp < lo || !wanted(e)) return true;
        out.events.push_back(std::move(e));
        return ++taken < q.limit;
      }));
    }
    if (out.frontier) {
      std::erase_if(out.events, [&](const StoredEvent& e) { return !(e.position < *out.frontier); });
    }
    std::sort(out.events.begin(), out.events.end(), by_position);
    if (out.events.size() > q.limit) out.events.resize(q.limit);
    return out;
  }
  std::sort(views.begin(), views.end(), [](const View& a, const View& b) {
    return std::tie(a.max_ts, a.segment) > std::tie(b.max_ts, b.segment);
  });
  for (const View& v : views) {
    if (out.events.size() >= q.limit) {
      std::sort(out.events.begin(), out.events.end(), by_position);
      out.events.erase(out.events.begin(), out.events.end() - static_cast<ptrdiff_t>(q.limit));
      if (Position{v.max_ts, UINT64_MAX, UINT64_MAX} < out.events.front().position) break;
    }
    std::deque<StoredEvent> last;  // this segment's latest wanted events
    RETURN_IF_ERROR(v.segment->Scan(v.start, v.end, [&](StoredEvent&& e) {
      out.scanned_bytes += kRecordHeader + e.message.size();
      if (e.position.timestamp > hi) return false;
      if (e.position.timestamp < lo || !wanted(e)) return true;
      last.push_back(std::move(e));
      if (last.size() > q.limit) last.pop_front();
      return true;
    }));
    for (auto& e : last) out.events.push_back(std::move(e));
  }
  std::sort(out.events.begin(), out.events.end(), by_position);
  if (out.events.size() > q.limit) {
    out.events.erase(out.events.begin(), out.events.end() - static_cast<ptrdiff_t>(q.limit));
  }
  return out;
}

Status LogStore::DropStream(const StreamId& id) {
  return RunOnWriter([this, id]() -> Status {
    std::shared_ptr<Stream> stream;
    {
      MutexLock lock(streams_mu_);
      if (auto it = streams_.find(id); it != streams_.end()) {
        stream = it->second;
        streams_.erase(it);
      }
    }
    if (stream) {
      MutexLock lock(stream->mu);
      stream->dropped = true;
      stream->segments.clear();
    }
    std::error_code ec;
    fs::remove_all(StreamDir(id), ec);
    if (ec) return Status::Unavailable("remove " + StreamDir(id) + ": " + ec.message());
    return Status::OK();
  });
}

Status LogStore::DropGroup(const std::string& group) {
  return RunOnWriter([this, group]() -> Status {
    {
      MutexLock lock(streams_mu_);
      for (auto it = streams_.begin(); it != streams_.end();) {
        if (it->first.group != group) {
          ++it;
          continue;
        }
        MutexLock stream_lock(it->second->mu);
        it->second->dropped = true;
        it->second->segments.clear();
        it = streams_.erase(it);
      }
    }
    std::string dir = root_ + "/" + NameHash(group);
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) return Status::Unavailable("remove " + dir + ": " + ec.message());
    return Status::OK();
  });
}

Status LogStore::Expire(const StreamId& id, int64_t cutoff_ms) {
  return RunOnWriter([this, id, cutoff_ms]() -> Status {
    ASSIGN_OR_RETURN(auto stream, Find(id, false));
    if (!stream) return Status::OK();
    std::vector<std::shared_ptr<Segment>> expired;
    {
      MutexLock lock(stream->mu);
      std::erase_if(stream->segments, [&](const std::shared_ptr<Segment>& seg) {
        if (seg->count == 0 || seg->max_ts >= cutoff_ms) return false;
        expired.push_back(seg);
        return true;
      });
    }
    for (const auto& seg : expired) {
      if (seg == stream->open) stream->open.reset();  // the next batch starts a new segment
      if (::unlink(seg->path().c_str()) != 0 && errno != ENOENT) {
        return Status::Unavailable("remove " + seg->path() + ": " + std::strerror(errno));
      }
    }
    if (!expired.empty()) RETURN_IF_ERROR(SyncDir(stream->dir));
    return Status::OK();
  });
}

}  // namespace wharf::logs
