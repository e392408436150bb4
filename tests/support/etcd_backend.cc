// Placeholder until the etcd backend lands: the etcd cases skip.
#include "tests/support/store_backends.h"

namespace wharf::store {
std::unique_ptr<TestBackend> MakeEtcdTestBackend() { return nullptr; }
}  // namespace wharf::store
