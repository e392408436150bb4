// A private etcd for tests (tests/support/etcd_backend.cc).
//
// One etcd per test process, started on first use from /usr/bin/etcd on free loopback
// ports with a temporary data directory; each test keeps to its own key prefix, so tests
// stay independent without paying etcd's start-up (about a second) each. At process exit
// it is stopped (SIGTERM, then SIGKILL) and its data directory removed; should the test
// process die first, the kernel kills etcd with it (PR_SET_PDEATHSIG).
//
// Thread-safety: both functions may be called from any thread.
#pragma once

#include <string>

namespace wharf::testing {

// True when /usr/bin/etcd exists: etcd tests skip otherwise.
bool EtcdInstalled();

// "127.0.0.1:port" of the process's etcd, starting it if need be; "" when it would not
// start (the reason is in *error).
std::string SharedEtcdEndpoint(std::string* error);

// A key prefix that no other caller in this process gets, such as "/test-3/".
std::string UniqueEtcdPrefix();

}  // namespace wharf::testing
