// SO_MARK on the data plane's connections to targets (Target::socket_mark): the socket is
// opened here, before the connect, so that its first packet carries the mark. Setting a mark
// needs CAP_NET_ADMIN; without it the connection goes unmarked (a node's security groups then
// admit it only by address), which is logged once.
#pragma once

#include <sys/socket.h>

#include <atomic>
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

}  // namespace wharf::lb
