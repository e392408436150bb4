// The ECS API (JSON 1.1, AmazonEC2ContainerServiceV20141113).
//
// Handlers read and write the Store directly in the shapes of the botocore model: a
// stored cluster or task definition is the JSON the Describe call returns (plus a few
// wharf-only fields under "_wharf"). Keys are drawn in docs/STATE.md.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/ecs/presented_services.h"
#include "api/front_door.h"
#include "base/clock.h"
#include "base/random.h"
#include "controlplane/task_launch.h"
#include "store/store.h"

namespace wharf::api::ecs {

using controlplane::SubnetInfo;

struct EcsDeps {
  store::Store& store;
  Clock& clock;
  Random& random;
  std::string region;
  std::string account_id;
  // Looks a subnet / security group up by id; empty functions: no VPC (awsvpc refused).
  std::function<Result<std::optional<SubnetInfo>>(const std::string& id)> find_subnet;
  std::function<Result<bool>(const std::string& id)> security_group_exists;
  // The id of a VPC's default security group (awsvpc tasks given none get it, as on AWS).
  std::function<Result<std::string>(const std::string& vpc_id)> find_default_security_group;
  // Whether a node's agent asked for its tasks lately (DescribeContainerInstances'
  // agentConnected); empty: the stored value.
  std::function<bool(const std::string& node)> agent_connected;
  // How many times its registered CPU and memory a node offers FARGATE tasks (>= 1; see
  // scheduler/fargate_capacity.h). EC2 placement is not affected.
  double fargate_overcommit = controlplane::kDefaultFargateOvercommit;
  // Whether ECS may assume a task's role (controlplane/task_roles.h); empty: every role.
  std::function<Status(std::string_view role_arn)> may_assume_role = nullptr;
  std::string public_ip_pool{};  // controlplane::TaskLaunchDeps::public_ip_pool
  // DescribeServices' shapes of the service records; MakeEcsEndpoint makes one when null.
  std::shared_ptr<PresentedServices> presented_services{};
};

// Builds the endpoint with every implemented operation.
Result<ServiceEndpoint> MakeEcsEndpoint(const EcsDeps& deps);


}  // namespace wharf::api::ecs
