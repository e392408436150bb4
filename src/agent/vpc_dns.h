// The node's side of the VPC resolver (AWS's DNS server at the VPC's base address + 2): what
// a task runner asks for when an awsvpc task's VPC has DNS support, so the task's
// resolv.conf can name that address. The node that serves it puts the address on the
// subnet's bridge (Network::AddBridgeAddress) and listens on it there; which server answers
// (src/dns, with the control plane's records) is the process's wiring: the agent never sees
// the store (docs/ARCHITECTURE.md, "Layers").
//
// Thread-safety: Serve is called from task runners' threads, concurrently.
#pragma once

#include <string>

#include "base/status.h"

namespace wharf::agent {

class VpcDns {
 public:
  virtual ~VpcDns() = default;
  // Answers DNS for `vpc_id` on `address`:53, bound to `bridge`. Idempotent.
  virtual Status Serve(const std::string& vpc_id, const std::string& address, const std::string& bridge) = 0;
};

}  // namespace wharf::agent
