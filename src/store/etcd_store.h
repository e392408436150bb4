// The etcd backend: every key lives in an etcd 3.4 cluster under a namespace prefix,
// reached through etcd's v3 JSON gateway over HTTP. Revisions are etcd's own.
// LeaderLease elects one wharf server to run the controllers.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace wharf::store {

// `endpoints` is "host:port[,host:port...]"; requests fail over between them.
// Every key is stored as namespace_prefix + key.
Result<std::unique_ptr<Store>> OpenEtcdStore(const std::string& endpoints,
                                             const std::string& namespace_prefix);

}  // namespace wharf::store
