// DataPlane: the load balancer's listeners and proxy, implementing DataPlaneControl.
//
// Lifecycle: Create() starts `threads` event loops. OpenListener binds a port with one
// SO_REUSEPORT acceptor per loop; each connection stays on the loop that accepted it,
// with that loop's own keep-alive pool of upstream connections (no shared mutable state
// on the request path). Apply() publishes a new immutable Config that the next request
// reads; open connections carry on. The health checker runs on a loop of its own.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "lb/config.h"

namespace wharf::lb {

struct DataPlaneOptions {
  std::string bind_address = "127.0.0.1";
  // Where a listener marked `filtered` listens (Listener::filtered: its region's nft table in
  // force holds its port); the server sets 0.0.0.0 when it keeps the load balancers' tables. The
  // table redirects a connection that comes in through a load balancer's VPC to one of its
  // interface addresses to the incoming bridge's own address, port unchanged, DNATs its public
  // addresses to the bind address, and drops (internal) or refuses (internet-facing, but at the
  // bind address) every other connection to a listener's port (lb/public_addresses.h). A
  // listener not marked (its table not applied yet, or refused) listens at the bind address
  // alone: fail closed. Empty: always the bind address (no table, nothing to tell the VPC by).
  std::string vpc_bind_address;
  int threads = 1;
  size_t max_request_body = 64 * 1024 * 1024;
};

Result<std::unique_ptr<DataPlaneControl>> CreateDataPlane(const DataPlaneOptions& options);

}  // namespace wharf::lb
