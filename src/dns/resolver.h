// The VPC resolver: what AWS calls the Amazon-provided DNS server (Route 53 Resolver), at
// each VPC's base address + 2. A query is answered from the VPC's own names (the record
// source: Cloud Map private namespaces, load balancer names) when the source says the name
// is its; anything else is forwarded to the host's resolvers and the reply relayed.
//
// Transport (RFC 1035, 7766, 6891): UDP and TCP on every listener; over UDP an answer is at
// most the client's EDNS payload (up to 4096) or 512 bytes, else it goes with TC set and no
// records so the client asks again over TCP; TCP connections carry length-prefixed messages,
// several per connection, idle ones closed after 10 s. A packet that is not a query is
// dropped; one with a header but no readable question gets FORMERR, another opcode NOTIMP.
//
// Lifecycle: Start() runs one event loop thread; Listen() adds a UDP socket and a TCP
// acceptor on an address, bound to an interface when one is named (SO_BINDTODEVICE: two
// VPCs' bridges may carry the same address, and the interface tells the VPC); Unlisten()
// closes them; Stop() (or the destructor) closes everything and joins the thread.
//
// Thread-safety: Listen, Unlisten and Stop may be called from any thread. The source is
// called on the loop thread, one query at a time: it must be thread-safe against the rest
// of the program and quick (a store read, no network).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "dns/answer.h"
#include "dns/message.h"

namespace wharf::dns {

struct ResolverOptions {
  // "ip" or "ip:port" ("[v6]:port"); the first answers, the others are tried when it does not.
  std::vector<std::string> upstreams;
  std::chrono::milliseconds upstream_timeout{2000};
};

// The host's resolvers as /etc/resolv.conf names them (the file at `path`).
std::vector<std::string> HostResolvers(const std::string& path = "/etc/resolv.conf");

class Resolver {
 public:
  static Result<std::unique_ptr<Resolver>> Start(RecordSource& source, ResolverOptions options);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Answers queries for `vpc_id` on `ip`:`port` (0: any free port; UDP and TCP share it),
  // bound to `device` when it is set. Returns the port. OK (the same port) when that address
  // and device are already served for the VPC; a listener whose device was made again since
  // (a new interface index) is opened again.
  Result<uint16_t> Listen(const std::string& vpc_id, const std::string& ip, const std::string& device,
                          uint16_t port = 53);
  void Unlisten(const std::string& ip, const std::string& device);
  void Stop();

  struct Impl;

 private:
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wharf::dns
