#include <filesystem>

#include "store/etcd_store.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace wharf::store {

Result<std::unique_ptr<Store>> OpenStore(std::string_view url, const std::string& data_dir) {
  if (url == "memory") return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  if (url == "sqlite" || url.empty()) {
    return OpenSqliteStore((std::filesystem::path(data_dir) / "state.db").string());
  }
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.substr(0, kSqlite.size()) == kSqlite) {
    return OpenSqliteStore(std::string(url.substr(kSqlite.size())));
  }
  constexpr std::string_view kEtcd = "etcd://";
  if (url.substr(0, kEtcd.size()) == kEtcd) {
    return OpenEtcdStore(std::string(url.substr(kEtcd.size())), "/wharf/");
  }
  return Status::InvalidArgument("unknown store URL '" + std::string(url) +
                                 "' (want memory, sqlite, sqlite:///path or etcd://host:port)");
}

}  // namespace wharf::store
