#include "tests/support/store_backends.h"

#include <filesystem>

#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace wharf::store {
namespace {

class MemoryBackend final : public TestBackend {
 public:
  Store& store() override { return store_; }

 private:
  MemoryStore store_;
};

class SqliteBackend final : public TestBackend {
 public:
  SqliteBackend() : path_((dir_.path() / "state.db").string()) { Open(); }
  Store& store() override { return *store_; }
  bool CanReopen() const override { return true; }
  Status Reopen() override {
    store_.reset();
    Open();
    return store_ ? Status::OK() : Status::Internal("reopen failed");
  }

 private:
  void Open() {
    auto opened = OpenSqliteStore(path_);
    if (opened.ok()) store_ = std::move(opened).value();
  }
  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

}  // namespace

std::unique_ptr<TestBackend> MakeEtcdTestBackend();  // tests/support/etcd_backend.cc

std::unique_ptr<TestBackend> MakeTestBackend(const std::string& name) {
  if (name == "memory") return std::make_unique<MemoryBackend>();
  if (name == "sqlite") return std::make_unique<SqliteBackend>();
  if (name == "etcd") return MakeEtcdTestBackend();
  return nullptr;
}

}  // namespace wharf::store
