// A lock every agent on the host shares: flock(2) on <dir>/<name>.lock (dir: /run/wharf).
//
// Why: a subnet's bridge, a VPC's routing table and its reply rule are host state that two
// agents on one host share (each with its own data directory). One agent's idle stop must not
// take down what another is setting up or still uses, and neither process knows the other's
// caches. An attach holds its subnet's lock shared from EnsureSubnet until CNI has put its
// port on the bridge; RemoveSubnetBridge holds it exclusive from its "still used?" checks to
// the end. A VPC's lock (exclusive) covers adding its routing and judging it unused.
// flock locks belong to the open file, so two threads of one process exclude each other too.
// The holder of an exclusive lock removes the file once what it guards is gone (Unlink): a
// waiter that then gets the lock on the removed file sees it is no longer at the path and
// opens the path again, so the lock never splits and no file outlives its subnet or VPC.
// Released by the destructor, or by the kernel when the process dies.
// Thread-compatible (one owner).
#pragma once

#include <string>

#include "base/status.h"

namespace wharf::agent {

class HostLock {
 public:
  enum class Mode { kShared, kExclusive };
  // Blocks until held. Fails when the directory or file cannot be made.
  static Result<HostLock> Take(const std::string& dir, const std::string& name, Mode mode);

  // Removes the lock's file; only with the lock held exclusive. It stays held until destroyed.
  void Unlink();

  HostLock(HostLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  HostLock& operator=(HostLock&&) = delete;
  HostLock(const HostLock&) = delete;
  ~HostLock();

 private:
  HostLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace wharf::agent
