// Test fixtures that give the conformance suite a fresh store of each backend.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace wharf::store {

class TestBackend {
 public:
  virtual ~TestBackend() = default;
  virtual Store& store() = 0;
  virtual bool CanReopen() const { return false; }
  // Closes and opens the same durable state again.
  virtual Status Reopen() { return Status::FailedPrecondition("not durable"); }
};

// "memory", "sqlite" or "etcd"; nullptr when the backend cannot run here.
std::unique_ptr<TestBackend> MakeTestBackend(const std::string& name);

}  // namespace wharf::store
