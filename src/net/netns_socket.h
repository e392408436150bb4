// A socket made inside another network namespace (issue 13: a Fargate task's image pulls go
// through the task's own network). A socket belongs to the namespace it was created in for
// its whole life, whichever thread uses it later: its routes, addresses and firewall are that
// namespace's. So only the socket() call needs the namespace: the calling thread enters it
// with setns(), creates the socket and returns to its own, a few microseconds, with no thread
// or process started. Thread-safe: setns() moves the calling thread only.
#pragma once

#include <string>

#include "base/status.h"

namespace wharf::net {

// A new TCP/IPv4 socket (non-blocking, close-on-exec) in the network namespace bound at
// `netns_path` (a /run/netns-style nsfs file). The caller owns the descriptor. Unavailable
// when the namespace is gone; Internal when the thread cannot return to its own namespace
// (it then aborts: a thread left in a task's namespace would serve the node from there).
Result<int> OpenTcpSocketIn(const std::string& netns_path);

}  // namespace wharf::net
