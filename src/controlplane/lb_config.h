// BuildLbConfig: the store's ELBv2 records (load balancers, listeners, rules, target groups
// and their targets) as the one immutable lb::Config a data plane runs on.
//
// Pure apart from reading the store: the records need not be from one revision (one read
// per prefix); a listener naming a target group not read yet forwards to an empty group
// until the next build. Targets past their drain deadline (by `clock`) are left out. Beside
// the listeners, where their load balancers are reached: their public and interface
// addresses, the sources their groups admit, every VPC subnet's bridge, and the tasks' ENIs
// with a way out of their VPC (vpc_egress.h), which alone reach a public address from a VPC.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "lb/config.h"

namespace wharf::store {
class Store;
}

namespace wharf::controlplane {

// Where an instance target (an ECS node's EC2 instance id) is reached, or nullopt for a node
// this server cannot reach (its targets get no address and fail their health checks).
using InstanceAddress = std::function<std::optional<std::string>(const std::string& instance_id)>;

Result<std::shared_ptr<const lb::Config>> BuildLbConfig(store::Store& store, Clock& clock,
                                                      const InstanceAddress& instance_address = {});

}  // namespace wharf::controlplane
