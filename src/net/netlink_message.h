// The few netlink pieces ctnetlink's requests and answers need (net/conntrack_origin.cc,
// net/conntrack_flows.cc): a request built attribute by attribute, and an attribute found in
// an answer. Internal to src/net.
#pragma once

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace wharf::net::netlink {

// A netfilter netlink message under construction: attributes appended, nests closed by offset.
class Message {
 public:
  Message(uint16_t type, uint16_t flags, uint32_t seq) {
    buf_.resize(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)));
    auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    h->nlmsg_seq = seq;
    auto* g = reinterpret_cast<nfgenmsg*>(buf_.data() + NLMSG_HDRLEN);
    g->nfgen_family = AF_INET;
    g->version = NFNETLINK_V0;
  }
  void Put(uint16_t type, const void* data, size_t size) {
    size_t at = buf_.size();
    buf_.resize(at + NLA_ALIGN(NLA_HDRLEN + size));
    auto* a = reinterpret_cast<nlattr*>(buf_.data() + at);
    a->nla_type = type;
    a->nla_len = static_cast<uint16_t>(NLA_HDRLEN + size);
    if (size > 0) std::memcpy(buf_.data() + at + NLA_HDRLEN, data, size);
  }
  // An attribute copied whole (header and payload) from an answer.
  void PutRaw(std::string_view attribute) {
    size_t at = buf_.size();
    buf_.append(attribute);
    buf_.resize(at + NLA_ALIGN(attribute.size()), '\0');
  }
  size_t Begin(uint16_t type) {
    size_t at = buf_.size();
    Put(type | NLA_F_NESTED, nullptr, 0);
    return at;
  }
  void End(size_t at) {
    reinterpret_cast<nlattr*>(buf_.data() + at)->nla_len = static_cast<uint16_t>(buf_.size() - at);
  }
  std::string& Finish() {
    reinterpret_cast<nlmsghdr*>(buf_.data())->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return buf_;
  }

 private:
  std::string buf_;
};

// The attribute `type` among `attrs`, whole (header and payload) or its payload only; an
// empty view when it is not there or the walk meets a bent attribute.
inline std::string_view FindAttribute(std::string_view attrs, uint16_t type, bool whole = false) {
  while (attrs.size() >= NLA_HDRLEN) {
    nlattr a;
    std::memcpy(&a, attrs.data(), sizeof a);  // attributes in a copied answer may be unaligned
    if (a.nla_len < NLA_HDRLEN || a.nla_len > attrs.size()) break;
    if ((a.nla_type & NLA_TYPE_MASK) == type) {
      return whole ? attrs.substr(0, a.nla_len) : attrs.substr(NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
    }
    attrs.remove_prefix(std::min<size_t>(attrs.size(), NLA_ALIGN(a.nla_len)));
  }
  return {};
}

}  // namespace wharf::net::netlink
