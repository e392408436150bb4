// A DNS load generator for bench/dns_bench.py: one UDP socket keeps `window` queries for one
// name in flight against a server for `seconds`, and prints what came back as JSON:
//   dns_load HOST PORT NAME QTYPE SECONDS WINDOW
//   {"answered": N, "per_second": X, "p50_us": A, "p99_us": B, "lost": L, "records": R}
// A query unanswered for 1 s counts as lost and is replaced. `records` is the answer count
// of the last answer (so a run shows both servers gave the same records).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string Query(uint16_t id, const std::string& name, uint16_t type) {
  std::string q;
  auto put16 = [&](uint16_t v) {
    q.push_back(static_cast<char>(v >> 8));
    q.push_back(static_cast<char>(v & 0xff));
  };
  put16(id);
  put16(0x0100);
  put16(1);
  put16(0);
  put16(0);
  put16(0);
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<char>(dot - start));
    q += name.substr(start, dot - start);
    start = dot + 1;
  }
  q.push_back('\0');
  put16(type);
  put16(1);
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: dns_load HOST PORT NAME QTYPE SECONDS WINDOW\n");
    return 2;
  }
  const std::string name = argv[3];
  const uint16_t qtype = static_cast<uint16_t>(std::atoi(argv[4]));
  const double seconds = std::atof(argv[5]);
  const int window = std::atoi(argv[6]);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  inet_pton(AF_INET, argv[1], &to.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    std::perror("connect");
    return 1;
  }
  int size = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

  std::array<Clock::time_point, 65536> sent{};
  std::array<bool, 65536> outstanding{};
  std::vector<uint32_t> latencies;
  latencies.reserve(4'000'000);
  uint16_t next_id = 1;
  int in_flight = 0;
  long lost = 0;
  int records = -1;
  auto send_one = [&] {
    while (outstanding[next_id]) ++next_id;
    std::string q = Query(next_id, name, qtype);
    sent[next_id] = Clock::now();
    outstanding[next_id] = true;
    ++in_flight;
    ++next_id;
    send(fd, q.data(), q.size(), 0);
  };
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto last_sweep = start;
  for (int i = 0; i < window; ++i) send_one();
  char buf[4096];
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) == 1) {
      for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 12) break;
        uint16_t id = static_cast<uint16_t>((static_cast<uint8_t>(buf[0]) << 8) | static_cast<uint8_t>(buf[1]));
        if (!outstanding[id]) continue;
        auto now = Clock::now();
        outstanding[id] = false;
        --in_flight;
        latencies.push_back(static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - sent[id]).count()));
        records = (static_cast<uint8_t>(buf[6]) << 8) | static_cast<uint8_t>(buf[7]);
        if (now < end) send_one();
      }
    }
    auto now = Clock::now();
    if (now - last_sweep > std::chrono::milliseconds(200)) {
      last_sweep = now;
      for (size_t id = 0; id < outstanding.size(); ++id) {
        if (outstanding[id] && now - sent[id] > std::chrono::seconds(1)) {
          outstanding[id] = false;
          --in_flight;
          ++lost;
          send_one();
        }
      }
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double q) -> uint32_t {
    if (latencies.empty()) return 0;
    return latencies[std::min(latencies.size() - 1, static_cast<size_t>(q * static_cast<double>(latencies.size())))];
  };
  std::printf("{\"answered\": %zu, \"per_second\": %.0f, \"p50_us\": %u, \"p99_us\": %u, \"lost\": %ld, \"records\": %d}\n",
              latencies.size(), static_cast<double>(latencies.size()) / elapsed, pct(0.5), pct(0.99), lost, records);
  close(fd);
  return 0;
}
