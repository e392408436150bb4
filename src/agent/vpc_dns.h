// The node's side of the VPC resolver (AWS's DNS server at the VPC's base address + 2): what
// a task runner asks for when an awsvpc task's VPC has DNS support, so the task's
// resolv.conf can name that address. The node that serves it puts the address on the
// subnet's bridge (Network::AddBridgeAddress) and listens on it there; which server answers
// (src/dns, with the control plane's records) is the process's wiring: the agent never sees
// the store (docs/ARCHITECTURE.md, "Layers").
//
// Thread-safety: Serve is called from task runners' threads, concurrently; Replace from the
// agent's poll thread.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "model/vpc_dns.h"

namespace wharf::agent {

class VpcDns {
 public:
  virtual ~VpcDns() = default;
  // Answers DNS for `vpc_id` on `address`:53, bound to `bridge`. Idempotent.
  virtual Status Serve(const std::string& vpc_id, const std::string& address, const std::string& bridge) = 0;
  // The names of the VPCs this node's tasks are in, from each assignment answer ("vpcDns"),
  // before the answer's tasks are started or stopped (a stopping task's name is gone before
  // its SIGTERM). A resolver that reads the server's store itself ignores them.
  virtual void Replace(std::vector<model::VpcDnsTable> tables) = 0;
};

}  // namespace wharf::agent
