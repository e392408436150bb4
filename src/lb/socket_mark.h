// SO_MARK and SO_BINDTODEVICE on the data plane's connections to targets (Target::socket_mark): the socket is
// opened here, before the connect, so that its first packet carries the mark. Setting a mark
// needs CAP_NET_ADMIN; without it the connection goes unmarked (a node's security groups then
// admit it only by address), which is logged once.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>

#include "base/logging.h"

namespace wharf::lb {

template <typename Socket>
void SetSocketMark(Socket& socket, const boost::asio::ip::tcp& protocol, uint32_t mark) {
  if (mark == 0) return;
  boost::system::error_code ec;
  if (!socket.is_open()) socket.open(protocol, ec);
  if (ec) return;  // the connect opens it and reports the error
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    static std::atomic<bool> told{false};
    if (!told.exchange(true)) LOG_WARN("msg=\"cannot mark connections to targets (SO_MARK needs CAP_NET_ADMIN)\"");
  }
}

// SO_BINDTODEVICE (Target::bind_device), before the connect like the mark. A device this host
// does not have (ENODEV: the target's subnet has no bridge here) leaves the socket unbound.
template <typename Socket>
void SetSocketDevice(Socket& socket, const boost::asio::ip::tcp& protocol, const std::string& device) {
  if (device.empty()) return;
  boost::system::error_code ec;
  if (!socket.is_open()) socket.open(protocol, ec);
  if (ec) return;
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, device.data(),
                 static_cast<socklen_t>(device.size())) != 0 &&
      errno != ENODEV) {
    static std::atomic<bool> told{false};
    if (!told.exchange(true)) LOG_WARN("msg=\"cannot bind connections to targets to their bridge\" device={}", device);
  }
}

}  // namespace wharf::lb
