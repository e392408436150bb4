#include "api/ecs/ecs.h"

#include "api/ecs/common.h"
#include "api/ecs/handlers.h"

namespace wharf::api::ecs {

Result<ServiceEndpoint> MakeEcsEndpoint(const EcsDeps& given) {
  EcsDeps deps = given;
  if (!deps.presented_services) deps.presented_services = std::make_shared<PresentedServices>();
  ServiceEndpoint endpoint;
  ASSIGN_OR_RETURN(endpoint.model, ServiceModel::LoadEmbedded("ecs"));
  endpoint.validation_error = "InvalidParameterException";
  endpoint.to_error = EcsError;
  using Fn = Outcome (*)(const EcsDeps&, const RequestContext&, boost::json::object&);
  const std::pair<const char*, Fn> operations[] = {
      {"CreateCluster", CreateCluster},
      {"DescribeClusters", DescribeClusters},
      {"ListClusters", ListClusters},
      {"UpdateCluster", UpdateCluster},
      {"UpdateClusterSettings", UpdateClusterSettings},
      {"PutClusterCapacityProviders", PutClusterCapacityProviders},
      {"CreateCapacityProvider", CreateCapacityProvider},
      {"DescribeCapacityProviders", DescribeCapacityProviders},
      {"UpdateCapacityProvider", UpdateCapacityProvider},
      {"DeleteCapacityProvider", DeleteCapacityProvider},
      {"DeleteCluster", DeleteCluster},
      {"RegisterTaskDefinition", RegisterTaskDefinition},
      {"DescribeTaskDefinition", DescribeTaskDefinition},
      {"ListTaskDefinitions", ListTaskDefinitions},
      {"ListTaskDefinitionFamilies", ListTaskDefinitionFamilies},
      {"DeregisterTaskDefinition", DeregisterTaskDefinition},
      {"DeleteTaskDefinitions", DeleteTaskDefinitions},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"ListTagsForResource", ListTagsForResource},
      {"ListAccountSettings", ListAccountSettings},
      {"PutAccountSetting", PutAccountSetting},
      {"PutAccountSettingDefault", PutAccountSettingDefault},
      {"DeleteAccountSetting", DeleteAccountSetting},
      {"RegisterContainerInstance", RegisterContainerInstance},
      {"DeregisterContainerInstance", DeregisterContainerInstance},
      {"ListContainerInstances", ListContainerInstances},
      {"DescribeContainerInstances", DescribeContainerInstances},
      {"UpdateContainerInstancesState", UpdateContainerInstancesState},
      {"PutAttributes", PutAttributes},
      {"DeleteAttributes", DeleteAttributes},
      {"ListAttributes", ListAttributes},
      {"RunTask", RunTask},
      {"StartTask", StartTask},
      {"StopTask", StopTask},
      {"DescribeTasks", DescribeTasks},
      {"ListTasks", ListTasks},
      {"UpdateTaskProtection", UpdateTaskProtection},
      {"GetTaskProtection", GetTaskProtection},
      {"SubmitTaskStateChange", SubmitTaskStateChange},
      {"CreateService", CreateService},
      {"UpdateService", UpdateService},
      {"DeleteService", DeleteService},
      {"DescribeServices", DescribeServices},
      {"ListServices", ListServices},
      {"ListServiceDeployments", ListServiceDeployments},
      {"DescribeServiceDeployments", DescribeServiceDeployments},
      {"DescribeServiceRevisions", DescribeServiceRevisions},
      {"StopServiceDeployment", StopServiceDeployment},
      {"ContinueServiceDeployment", ContinueServiceDeployment},
      {"ListServicesByNamespace", ListServicesByNamespace},
      {"SubmitContainerStateChange", SubmitContainerStateChange},
  };
  for (const auto& [name, fn] : operations) {
    if (!endpoint.model->FindOperation(name)) {
      return Status::Internal(std::string("ECS model has no operation ") + name);
    }
    endpoint.operations[name] = [deps, fn = fn](const RequestContext& ctx, boost::json::object& in) {
      return fn(deps, ctx, in);
    };
  }
  // aws:ResourceTag/<key> (ECS also names it ecs:ResourceTag/<key>) of clusters, services,
  // tasks, task definitions, container instances.
  endpoint.resource_tags = [deps](std::string_view arn) { return ResourceTagsOf(deps, arn); };
  endpoint.service_resource_tag_key = "ecs:ResourceTag/";
  return endpoint;
}

}  // namespace wharf::api::ecs
