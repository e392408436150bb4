#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "agent/network/network.h"

namespace wharf::agent {
namespace {

constexpr int kFirstDynamicPort = 49153;
constexpr int kLastDynamicPort = 65535;

// A port is free when a listener could bind it on every address.
bool CanBindTcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

Result<int> PickHostPort(const std::set<int>& taken) {
  // A random start spreads tasks over the range, so a port freed a moment ago is not handed
  // straight out again while connections to it may still linger.
  thread_local std::minstd_rand rng{std::random_device{}()};
  const int span = kLastDynamicPort - kFirstDynamicPort + 1;
  int start = static_cast<int>(rng() % static_cast<unsigned>(span));
  for (int i = 0; i < span; ++i) {
    int port = kFirstDynamicPort + (start + i) % span;
    if (!taken.count(port) && CanBindTcp(port)) return port;
  }
  return Status::Unavailable("no free host port in 49153-65535");
}

}  // namespace wharf::agent
