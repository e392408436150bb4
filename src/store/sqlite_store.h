// The SQLite backend: a MemoryStore whose journal is a SQLite database in WAL mode with
// synchronous=FULL, so a commit is on disk before it is acknowledged. The whole key space
// is loaded into memory at open; wharf's state is small (definitions, not data).
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace wharf::store {

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace wharf::store
