#include "store/etcd_store.h"

namespace wharf::store {

Result<std::unique_ptr<Store>> OpenEtcdStore(const std::string& endpoints,
                                             const std::string& namespace_prefix) {
  return Status::Unavailable("etcd backend not built yet");
}

}  // namespace wharf::store
