#include "logs/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace wharf::logs {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr uint32_t kMaxMessage = 1 << 20;  // PutLogEvents' own limit is lower

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

void Put32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // the platform is little-endian (x86-64, arm64)
  out.append(b, 4);
}
void Put64(std::string& out, int64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
template <typename T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

Status Errno(std::string_view what, const std::string& path) {
  return Status::Unavailable(std::string(what) + " " + path + ": " + std::strerror(errno));
}

}  // namespace

uint32_t Crc32c(std::string_view data, uint32_t crc) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  crc = ~crc;
  for (unsigned char c : data) crc = table[(crc ^ c) & 0xff] ^ (crc >> 8);
  return ~crc;
}

void EncodeRecord(int64_t timestamp, int64_t ingestion_time, std::string_view message, std::string& out,
                  bool sealed) {
  size_t start = out.size();
  Put32(out, static_cast<uint32_t>(message.size()) | (sealed ? kSealedFlag : 0));
  Put32(out, 0);
  Put64(out, timestamp);
  Put64(out, ingestion_time);
  out.append(message);
  uint32_t crc = Crc32c(std::string_view(out).substr(start + 8));
  std::memcpy(out.data() + start + 4, &crc, 4);
}

Result<std::unique_ptr<Segment>> Segment::Open(const std::string& path, uint64_t seq, bool create) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
  if (fd < 0) return Errno("open", path);
  std::unique_ptr<Segment> seg(new Segment(path, seq, fd));
  if (create) return seg;
  struct stat st;
  if (fstat(fd, &st) != 0) return Errno("stat", path);
  // Recovery: walk every record; the first torn or corrupt one ends the segment.
  uint64_t good = 0;
  Status scanned = seg->Scan(0, static_cast<uint64_t>(st.st_size), [&](StoredEvent&& e) {
    seg->Note(e.position.timestamp, e.ingestion_time, e.position.offset);
    good = e.position.offset + kRecordHeader + e.message.size();
    return true;
  });
  if (!scanned.ok() && !scanned.IsInvalidArgument()) return scanned;
  if (good < static_cast<uint64_t>(st.st_size)) {
    if (ftruncate(fd, static_cast<off_t>(good)) != 0) return Errno("truncate", path);
    if (fdatasync(fd) != 0) return Errno("fdatasync", path);
  }
  seg->durable_size = good;
  return seg;
}

Segment::~Segment() { ::close(fd_); }

Status Segment::Scan(uint64_t from, uint64_t to, const std::function<bool(StoredEvent&&)>& fn) const {
  std::string buf;
  uint64_t buf_start = from;  // file offset of buf[0]
  size_t pos = 0;
  uint64_t offset = from;
  // Makes at least `need` bytes available at buf[pos]; false at the end of [from, to).
  auto fill = [&](size_t need) -> Result<bool> {
    if (buf.size() - pos >= need) return true;
    buf.erase(0, pos);
    buf_start += pos;
    pos = 0;
    while (buf.size() < need) {
      uint64_t at = buf_start + buf.size();
      if (at >= to) return false;
      size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(kReadChunk, need), to - at));
      size_t old = buf.size();
      buf.resize(old + want);
      ssize_t n = ::pread(fd_, buf.data() + old, want, static_cast<off_t>(at));
      if (n < 0) return Errno("read", path_);
      buf.resize(old + static_cast<size_t>(n));
      if (n == 0) return false;
    }
    return true;
  };
  while (offset < to) {
    ASSIGN_OR_RETURN(bool have_header, fill(kRecordHeader));
    if (!have_header) return Status::InvalidArgument("torn record header at " + std::to_string(offset));
    const char* h = buf.data() + pos;
    uint32_t word = Get<uint32_t>(h);
    uint32_t length = word & ~kSealedFlag;
    uint32_t crc = Get<uint32_t>(h + 4);
    if (length > kMaxMessage) return Status::InvalidArgument("bad record length at " + std::to_string(offset));
    ASSIGN_OR_RETURN(bool have_body, fill(kRecordHeader + length));
    if (!have_body) return Status::InvalidArgument("torn record at " + std::to_string(offset));
    h = buf.data() + pos;
    if (Crc32c(std::string_view(h + 8, 16 + length)) != crc) {
      return Status::InvalidArgument("bad record checksum at " + std::to_string(offset));
    }
    StoredEvent e;
    e.position = Position{Get<int64_t>(h + 8), seq_, offset};
    e.ingestion_time = Get<int64_t>(h + 16);
    e.message.assign(h + kRecordHeader, length);
    e.sealed = (word & kSealedFlag) != 0;
    pos += kRecordHeader + length;
    offset += kRecordHeader + length;
    if (!fn(std::move(e))) return Status::OK();
  }
  return Status::OK();
}

uint64_t Segment::SeekTime(int64_t ts) const {
  // The last indexed record with a timestamp < ts: every record before it is earlier too.
  auto it = std::lower_bound(sparse.begin(), sparse.end(), ts,
                             [](const auto& entry, int64_t t) { return entry.first < t; });
  if (it == sparse.begin()) return 0;
  return std::prev(it)->second;
}

void Segment::Note(int64_t ts, int64_t ingestion, uint64_t offset) {
  if (count % kIndexEvery == 0) sparse.emplace_back(ts, offset);
  if (count == 0 || ts < min_ts) min_ts = ts;
  if (count == 0 || ts > max_ts) max_ts = ts;
  max_ingestion = std::max(max_ingestion, ingestion);
  ++count;
}

}  // namespace wharf::logs
