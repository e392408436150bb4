// libFuzzer target: arbitrary bytes as the kernel's netlink answer to the server's conntrack
// GET (net/conntrack_origin.h ParseConntrackOriginal), read for every VPC connection the server
// accepts, and as a batch of its dump (net/conntrack_flows.h ParseConntrackDump), read when a
// node ends a removed endpoint's connections. Checks: no crash, no sanitizer report; an answer
// that parses is a CT_NEW message of the asked sequence number; a tuple taken from a dump is a
// piece of it. Build and run with `fuzz/run.sh conntrack`.
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "net/conntrack_flows.h"
#include "net/conntrack_origin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view reply(reinterpret_cast<const char*>(data), size);
  uint32_t seq = 0;
  if (size >= NLMSG_HDRLEN) std::memcpy(&seq, data + 8, 4);  // nlmsg_seq: let most inputs reach the walk
  auto d = wharf::net::ParseConntrackOriginal(reply, seq);
  if (d) {
    nlmsghdr h;
    std::memcpy(&h, data, sizeof h);
    if (h.nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW) || h.nlmsg_seq != seq ||
        h.nlmsg_len > size || d->sin_family != AF_INET) {
      std::abort();
    }
  }
  (void)wharf::net::ParseConntrackOriginal(reply, seq + 1);
  sockaddr_in destination{};
  destination.sin_family = AF_INET;
  if (size >= 6) {  // the last six bytes name the destination: some inputs match their own entries
    std::memcpy(&destination.sin_addr.s_addr, data + size - 6, 4);
    std::memcpy(&destination.sin_port, data + size - 2, 2);
  }
  std::vector<std::string> tuples;
  (void)wharf::net::ParseConntrackDump(reply, seq, 0,
                                       [&](const wharf::net::ConntrackFlow& f) {
                                         return f.original_destination.sin_addr.s_addr ==
                                                    destination.sin_addr.s_addr &&
                                                f.original_destination.sin_port == destination.sin_port;
                                       },
                                       tuples);
  for (const std::string& t : tuples) {
    if (reply.find(t) == std::string_view::npos) std::abort();
  }
  return 0;
}
