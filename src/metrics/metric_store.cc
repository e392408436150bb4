#include "metrics/metric_store.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wharf::metrics {

int64_t RetainedResolution(int64_t age) {
  if (age < kHighResolutionRetention) return 1;
  if (age < kMinuteRetention) return 60;
  if (age < kFiveMinuteRetention) return 300;
  if (age < kHourRetention) return 3600;
  return 0;
}

namespace {

constexpr size_t kMaxRecord = 64 << 20;

int64_t FloorTo(int64_t t, int64_t width) {
  int64_t q = t / width;
  if (t % width != 0 && t < 0) --q;
  return q * width;
}

// Little-endian fixed-width fields and length-prefixed strings.
class Encoder {
 public:
  template <typename T>
  void Put(T v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  void Str(const std::string& s) {
    Put(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T& v) {
    if (in_.size() < sizeof(T)) return false;
    std::memcpy(&v, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return true;
  }
  bool Str(std::string& s) {
    uint32_t n = 0;
    if (!Get(n) || in_.size() < n) return false;
    s.assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace


namespace {
// A journal record: u32 payload size, u32 CRC-32 of the payload, then the payload: the
// metric, the unit and its buckets.
template <typename BucketMap>
void AppendRecord(const MetricId& id, const std::string& unit, const BucketMap& buckets, std::string& out) {
  Encoder e;
  e.Str(id.name_space);
  e.Str(id.metric_name);
  e.Put(static_cast<uint32_t>(id.dimensions.size()));
  for (const auto& d : id.dimensions) {
    e.Str(d.name);
    e.Str(d.value);
  }
  e.Str(unit);
  e.Put(static_cast<uint32_t>(buckets.size()));
  for (const auto& [start, b] : buckets) {
    e.Put(static_cast<int64_t>(start));
    e.Put(static_cast<int64_t>(b.width));
    e.Put(b.sample.count);
    e.Put(b.sample.sum);
    e.Put(b.sample.min);
    e.Put(b.sample.max);
    e.Put(static_cast<uint8_t>(b.sample.has_set));
    e.Put(static_cast<uint32_t>(b.sample.values.size()));
    for (const auto& [v, n] : b.sample.values) {
      e.Put(v);
      e.Put(n);
    }
  }
  std::string& payload = e.out();
  uint32_t size = static_cast<uint32_t>(payload.size());
  uint32_t crc = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(payload.data()), size));
  out.append(reinterpret_cast<const char*>(&size), 4);
  out.append(reinterpret_cast<const char*>(&crc), 4);
  out += payload;
}
}  // namespace

Result<std::unique_ptr<MetricStore>> MetricStore::Open(const std::string& dir) {
  std::unique_ptr<MetricStore> store(new MetricStore());
  store->dir_ = dir;
  if (dir.empty()) return store;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("create " + dir + ": " + ec.message());
  MutexLock lock(store->mu_);
  std::string path = dir + "/journal";
  RETURN_IF_ERROR(store->Replay(path));
  store->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (store->fd_ < 0) return Status::Unavailable("open " + path + ": " + std::strerror(errno));
  return store;
}

MetricStore::~MetricStore() {
  MutexLock lock(mu_);
  if (fd_ >= 0) ::close(fd_);
}

Status MetricStore::Replay(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::OK();
  std::stringstream text;
  text << in.rdbuf();
  const std::string data = text.str();
  size_t pos = 0;
  while (data.size() - pos >= 8) {
    uint32_t size = 0, crc = 0;
    std::memcpy(&size, data.data() + pos, 4);
    std::memcpy(&crc, data.data() + pos + 4, 4);
    if (size > kMaxRecord || data.size() - pos - 8 < size) break;
    std::string_view payload(data.data() + pos + 8, size);
    if (crc32(0, reinterpret_cast<const Bytef*>(payload.data()), size) != crc) break;
    Decoder d(payload);
    MetricId id;
    std::string unit;
    uint32_t ndims = 0, nbuckets = 0;
    bool ok = d.Str(id.name_space) && d.Str(id.metric_name) && d.Get(ndims) && ndims <= 64;
    for (uint32_t i = 0; ok && i < ndims; ++i) {
      Dimension dim;
      ok = d.Str(dim.name) && d.Str(dim.value);
      id.dimensions.push_back(std::move(dim));
    }
    ok = ok && d.Str(unit) && d.Get(nbuckets);
    for (uint32_t i = 0; ok && i < nbuckets; ++i) {
      int64_t start = 0;
      Bucket b;
      uint8_t has_set = 0;
      uint32_t nvalues = 0;
      ok = d.Get(start) && d.Get(b.width) && d.Get(b.sample.count) && d.Get(b.sample.sum) && d.Get(b.sample.min) &&
           d.Get(b.sample.max) && d.Get(has_set) && d.Get(nvalues);
      b.sample.has_set = has_set != 0;
      for (uint32_t j = 0; ok && j < nvalues; ++j) {
        double v = 0, n = 0;
        ok = d.Get(v) && d.Get(n);
        b.sample.values[v] += n;
      }
      if (ok && b.width > 0) Apply(id, unit, start, std::move(b));
    }
    if (!ok) break;
    pos += 8 + size;
  }
  if (pos < data.size()) {
    // A torn tail (a crash in the middle of a write): what follows it was never acknowledged.
    std::error_code ec;
    std::filesystem::resize_file(path, pos, ec);
    if (ec) return Status::Unavailable("truncate " + path + ": " + ec.message());
  }
  return Status::OK();
}

void MetricStore::Apply(const MetricId& id, const std::string& unit, int64_t start, Bucket bucket) {
  auto [it, fresh] = series_.try_emplace(id.Key());
  if (fresh) it->second.id = id;
  auto& buckets = it->second.units[unit];
  auto [b, added] = buckets.try_emplace(start, std::move(bucket));
  if (!added) {
    b->second.width = std::max(b->second.width, bucket.width);
    b->second.sample.Merge(bucket.sample);
  }
}

Status MetricStore::WriteAll(const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Unavailable(std::string("write the metrics journal: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return Status::Unavailable(std::string("fdatasync the metrics journal: ") + std::strerror(errno));
  return Status::OK();
}

Status MetricStore::Put(const std::vector<Datum>& batch) {
  MutexLock lock(mu_);
  if (fd_ >= 0) {
    std::string data;
    for (const Datum& d : batch) {
      std::map<int64_t, Bucket> one;
      one.emplace(FloorTo(d.timestamp, d.resolution), Bucket{d.resolution, d.sample});
      AppendRecord(d.id, d.unit, one, data);
    }
    RETURN_IF_ERROR(WriteAll(data));
  }
  for (const Datum& d : batch) Apply(d.id, d.unit, FloorTo(d.timestamp, d.resolution), Bucket{d.resolution, d.sample});
  return Status::OK();
}

std::vector<MetricInfo> MetricStore::List() const {
  MutexLock lock(mu_);
  std::vector<MetricInfo> out;
  out.reserve(series_.size());
  for (const auto& [key, s] : series_) {
    MetricInfo info{s.id, 0};
    for (const auto& [unit, buckets] : s.units) {
      if (!buckets.empty()) info.last_timestamp = std::max(info.last_timestamp, buckets.rbegin()->first);
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<PeriodSample> MetricStore::Read(const MetricId& id, const std::optional<std::string>& unit,
                                            int64_t start, int64_t end, int64_t period) const {
  std::vector<PeriodSample> out;
  if (period <= 0 || end <= start) return out;
  MutexLock lock(mu_);
  auto it = series_.find(id.Key());
  if (it == series_.end()) return out;
  std::map<std::pair<int64_t, std::string>, Sample> periods;
  for (const auto& [u, buckets] : it->second.units) {
    if (unit && *unit != u) continue;
    for (auto b = buckets.lower_bound(start); b != buckets.end() && b->first < end; ++b) {
      int64_t p = start + (b->first - start) / period * period;
      periods[{p, u}].Merge(b->second.sample);
    }
  }
  for (auto& [key, sample] : periods) out.push_back(PeriodSample{key.first, key.second, std::move(sample)});
  return out;
}

Status MetricStore::Compact(int64_t now) {
  MutexLock lock(mu_);
  for (auto s = series_.begin(); s != series_.end();) {
    for (auto u = s->second.units.begin(); u != s->second.units.end();) {
      std::map<int64_t, Bucket> kept;
      for (auto& [start, b] : u->second) {
        int64_t width = RetainedResolution(now - start);
        if (width == 0) continue;
        width = std::max<int64_t>(width, b.width);
        int64_t at = FloorTo(start, width);
        auto [k, added] = kept.try_emplace(at, Bucket{width, {}});
        k->second.width = std::max(k->second.width, width);
        k->second.sample.Merge(b.sample);
      }
      u->second = std::move(kept);
      u = u->second.empty() ? s->second.units.erase(u) : std::next(u);
    }
    s = s->second.units.empty() ? series_.erase(s) : std::next(s);
  }
  if (dir_.empty()) return Status::OK();
  // Rewrite the journal as it is now: a temporary file, synced, renamed over the old one.
  std::string data;
  for (const auto& [key, s] : series_) {
    for (const auto& [unit, buckets] : s.units) AppendRecord(s.id, unit, buckets, data);
  }
  std::string path = dir_ + "/journal", tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("open " + tmp + ": " + std::strerror(errno));
  std::swap(fd, fd_);
  Status written = WriteAll(data);
  std::swap(fd, fd_);
  if (!written.ok() || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return written.ok() ? Status::Unavailable("rename " + tmp + ": " + std::strerror(errno)) : written;
  }
  // Appends go to the new file from now on.
  ::close(fd_);
  fd_ = fd;
  return Status::OK();
}

}  // namespace wharf::metrics
