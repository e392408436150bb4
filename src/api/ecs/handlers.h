// The ECS operations, one function each, grouped by resource in the .cc files.
#pragma once

#include <boost/json/object.hpp>

#include "api/aws_error.h"
#include "api/ecs/ecs.h"
#include "api/front_door.h"

namespace wharf::api::ecs {

using boost::json::object;

// clusters.cc
Outcome CreateCluster(const EcsDeps&, const RequestContext&, object& in);
Outcome DescribeClusters(const EcsDeps&, const RequestContext&, object& in);
Outcome ListClusters(const EcsDeps&, const RequestContext&, object& in);
Outcome UpdateCluster(const EcsDeps&, const RequestContext&, object& in);
Outcome UpdateClusterSettings(const EcsDeps&, const RequestContext&, object& in);
Outcome PutClusterCapacityProviders(const EcsDeps&, const RequestContext&, object& in);
Outcome CreateCapacityProvider(const EcsDeps&, const RequestContext&, object& in);
Outcome DescribeCapacityProviders(const EcsDeps&, const RequestContext&, object& in);
Outcome UpdateCapacityProvider(const EcsDeps&, const RequestContext&, object& in);
Outcome DeleteCapacityProvider(const EcsDeps&, const RequestContext&, object& in);
Outcome DeleteCluster(const EcsDeps&, const RequestContext&, object& in);

// task_definitions.cc
Outcome RegisterTaskDefinition(const EcsDeps&, const RequestContext&, object& in);
Outcome DescribeTaskDefinition(const EcsDeps&, const RequestContext&, object& in);
Outcome ListTaskDefinitions(const EcsDeps&, const RequestContext&, object& in);
Outcome ListTaskDefinitionFamilies(const EcsDeps&, const RequestContext&, object& in);
Outcome DeregisterTaskDefinition(const EcsDeps&, const RequestContext&, object& in);
Outcome DeleteTaskDefinitions(const EcsDeps&, const RequestContext&, object& in);

// container_instances.cc
Outcome RegisterContainerInstance(const EcsDeps&, const RequestContext&, object& in);
Outcome DeregisterContainerInstance(const EcsDeps&, const RequestContext&, object& in);
Outcome ListContainerInstances(const EcsDeps&, const RequestContext&, object& in);
Outcome DescribeContainerInstances(const EcsDeps&, const RequestContext&, object& in);
Outcome UpdateContainerInstancesState(const EcsDeps&, const RequestContext&, object& in);
Outcome PutAttributes(const EcsDeps&, const RequestContext&, object& in);
Outcome DeleteAttributes(const EcsDeps&, const RequestContext&, object& in);
Outcome ListAttributes(const EcsDeps&, const RequestContext&, object& in);

// tasks.cc
Outcome RunTask(const EcsDeps&, const RequestContext&, object& in);
Outcome StartTask(const EcsDeps&, const RequestContext&, object& in);
Outcome StopTask(const EcsDeps&, const RequestContext&, object& in);
Outcome DescribeTasks(const EcsDeps&, const RequestContext&, object& in);
Outcome ListTasks(const EcsDeps&, const RequestContext&, object& in);
Outcome UpdateTaskProtection(const EcsDeps&, const RequestContext&, object& in);
Outcome GetTaskProtection(const EcsDeps&, const RequestContext&, object& in);

// services.cc
Outcome CreateService(const EcsDeps&, const RequestContext&, object& in);
Outcome UpdateService(const EcsDeps&, const RequestContext&, object& in);
Outcome DeleteService(const EcsDeps&, const RequestContext&, object& in);
Outcome DescribeServices(const EcsDeps&, const RequestContext&, object& in);
Outcome ListServices(const EcsDeps&, const RequestContext&, object& in);
Outcome ListServiceDeployments(const EcsDeps&, const RequestContext&, object& in);
Outcome DescribeServiceDeployments(const EcsDeps&, const RequestContext&, object& in);
Outcome DescribeServiceRevisions(const EcsDeps&, const RequestContext&, object& in);
Outcome StopServiceDeployment(const EcsDeps&, const RequestContext&, object& in);
Outcome ContinueServiceDeployment(const EcsDeps&, const RequestContext&, object& in);
Outcome ListServicesByNamespace(const EcsDeps&, const RequestContext&, object& in);

// task_state.cc (called by agents)
Outcome SubmitTaskStateChange(const EcsDeps&, const RequestContext&, object& in);
Outcome SubmitContainerStateChange(const EcsDeps&, const RequestContext&, object& in);

// task_definitions.cc: "family", "family:rev" or an ARN -> the TaskDefinition shape.
Result<std::optional<object>> FindTaskDefinition(const EcsDeps& deps, std::string_view text);

// tags.cc
Outcome TagResource(const EcsDeps&, const RequestContext&, object& in);
Outcome UntagResource(const EcsDeps&, const RequestContext&, object& in);
Outcome ListTagsForResource(const EcsDeps&, const RequestContext&, object& in);
// The tags of an ECS resource ARN, for aws:ResourceTag (empty when none or not found).
ResourceTags ResourceTagsOf(const EcsDeps& deps, std::string_view arn);

// account_settings.cc
Outcome ListAccountSettings(const EcsDeps&, const RequestContext&, object& in);
Outcome PutAccountSetting(const EcsDeps&, const RequestContext&, object& in);
Outcome PutAccountSettingDefault(const EcsDeps&, const RequestContext&, object& in);
Outcome DeleteAccountSetting(const EcsDeps&, const RequestContext&, object& in);
// The value of a setting for a principal: its own, else the account default, else AWS's.
std::string EffectiveSetting(const EcsDeps&, std::string_view principal_arn, std::string_view name);

// Tag lists: validate and merge [{key, value}].
std::optional<AwsError> CheckTags(const boost::json::array& tags);
void MergeTags(boost::json::array& into, const boost::json::array& tags);

}  // namespace wharf::api::ecs
