#include "model/keys.h"

#include <cctype>
#include <cstdio>
#include <utility>

namespace wharf::model::keys {
namespace {

std::string Join(std::string_view prefix, std::string_view name) {
  std::string key;
  key.reserve(prefix.size() + name.size());
  key.append(prefix).append(name);
  return key;
}

// '/' is allowed in ECR repository and log group names but not ':': written as ':', one
// name's prefix never covers another's ("team/app/" vs "team/app/sub/").
std::string Escape(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '/') c = ':';
  }
  return out;
}

}  // namespace

std::string RegionPrefix(std::string_view region) { return "regions/" + std::string(region) + "/"; }
std::string StartedRegionKey(std::string_view region) { return std::string(kStartedRegions) + std::string(region); }

std::string AccessKeyKey(std::string_view access_key_id) { return Join(kAccessKeys, access_key_id); }
std::string AccessKeyLastUsedKey(std::string_view access_key_id) { return Join(kAccessKeyLastUsed, access_key_id); }
namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace
std::string IamSessionKey(std::string_view access_key_id) { return Join(kIamSessions, access_key_id); }
std::string IamUserKey(std::string_view user_name) { return Join(kIamUsers, Lower(user_name)); }
std::string IamGroupKey(std::string_view group_name) { return Join(kIamGroups, Lower(group_name)); }
std::string IamRoleKey(std::string_view role_name) { return Join(kIamRoles, Lower(role_name)); }
std::string IamPolicyKey(std::string_view policy_name) { return Join(kIamPolicies, Lower(policy_name)); }
std::string IamAwsPolicyAttachmentsKey(std::string_view policy_name) {
  return Join(kIamAwsPolicyAttachments, policy_name);
}
std::string IamInstanceProfileKey(std::string_view profile_name) {
  return Join(kIamInstanceProfiles, Lower(profile_name));
}

std::string ClusterKey(std::string_view name) { return Join(kClusters, name); }
std::string TaskDefinitionPrefix(std::string_view family) {
  return family.empty() ? std::string(kTaskDefinitions) : Join(kTaskDefinitions, family) + "/";
}
std::string TaskDefinitionKey(std::string_view family, int64_t revision) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%010lld", static_cast<long long>(revision));
  return TaskDefinitionPrefix(family) + digits;
}
std::string FamilyKey(std::string_view family) { return Join(kTaskDefinitionFamilies, family); }
std::string AccountSettingKey(std::string_view principal_arn, std::string_view name) {
  return Join(kAccountSettings, principal_arn) + "/" + std::string(name);
}
std::string ContainerInstancesPrefix(std::string_view cluster) { return Join(kContainerInstances, cluster) + "/"; }
std::string ContainerInstanceKey(std::string_view cluster, std::string_view id) {
  return ContainerInstancesPrefix(cluster) + std::string(id);
}
std::string TasksPrefix(std::string_view cluster) { return Join(kTasks, cluster) + "/"; }
std::string TaskKey(std::string_view cluster, std::string_view id) { return TasksPrefix(cluster) + std::string(id); }
std::string ServicesPrefix(std::string_view cluster) { return Join(kServices, cluster) + "/"; }
std::string ServiceKey(std::string_view cluster, std::string_view name) {
  return ServicesPrefix(cluster) + std::string(name);
}
std::string EniIpPrefix(std::string_view subnet_id) { return Join(kEniIps, subnet_id) + "/"; }
std::string EniIpKey(std::string_view subnet_id, std::string_view ip) {
  return EniIpPrefix(subnet_id) + std::string(ip);
}

std::string LoadBalancerKey(std::string_view name) { return Join(kLoadBalancers, name); }
std::string TargetGroupKey(std::string_view name) { return Join(kTargetGroups, name); }
std::string ListenersPrefix(std::string_view lb_name) {
  return lb_name.empty() ? std::string(kListeners) : Join(kListeners, lb_name) + "/";
}
std::string ListenerKey(std::string_view lb_name, std::string_view listener_id) {
  return ListenersPrefix(lb_name) + std::string(listener_id);
}
std::string RulesPrefix(std::string_view lb_name, std::string_view listener_id) {
  if (lb_name.empty()) return std::string(kRules);
  std::string prefix = Join(kRules, lb_name) + "/";
  if (!listener_id.empty()) prefix.append(listener_id).append("/");
  return prefix;
}
std::string RuleKey(std::string_view lb_name, std::string_view listener_id, std::string_view rule_id) {
  return RulesPrefix(lb_name, listener_id) + std::string(rule_id);
}
std::string ListenerPortKey(int64_t port) { return Join(kListenerPorts, std::to_string(port)); }

std::string RepositoryKey(std::string_view repository) { return Join(kRepositories, Escape(repository)); }
std::string RepositoryNameOfKey(std::string_view key) {
  std::string name(key.substr(kRepositories.size()));
  for (char& c : name) {
    if (c == ':') c = '/';
  }
  return name;
}
std::string ImagesPrefix(std::string_view repository) { return Join(kImages, Escape(repository)) + "/"; }
std::string ImageTagsPrefix(std::string_view repository) { return Join(kImageTags, Escape(repository)) + "/"; }
std::string BlobLinksPrefix(std::string_view repository) { return Join(kBlobLinks, Escape(repository)) + "/"; }
std::string BlobLinkKey(std::string_view repository, std::string_view digest) {
  return BlobLinksPrefix(repository) + std::string(digest);
}

std::string KmsKeyKey(std::string_view key_id) { return Join(kKmsKeys, key_id); }
std::string KmsAliasKey(std::string_view alias_name) {
  if (alias_name.starts_with("alias/")) alias_name.remove_prefix(6);
  return Join(kKmsAliases, alias_name);
}
std::string SecretKey(std::string_view name) { return Join(kSecrets, name); }

std::string SsmParameterKey(std::string_view name) { return Join(kSsmParameters, name); }
std::string CloudWatchAlarmKey(std::string_view name) { return Join(kCloudWatchAlarms, name); }
std::string CloudWatchDashboardKey(std::string_view name) { return Join(kCloudWatchDashboards, name); }

std::string ScalableTargetPart(std::string_view dimension, std::string_view resource_id) {
  std::string resource(resource_id);
  for (char& c : resource) {
    if (c == '/') c = ':';
  }
  return std::string(dimension) + "/" + resource + "/";
}
std::string ScalableTargetKey(std::string_view dimension, std::string_view resource_id) {
  return std::string(kScalableTargets) + ScalableTargetPart(dimension, resource_id);
}
std::string ScalingPolicyKey(std::string_view dimension, std::string_view resource_id, std::string_view name) {
  return std::string(kScalingPolicies) + ScalableTargetPart(dimension, resource_id) + std::string(name);
}
std::string ScheduledActionKey(std::string_view dimension, std::string_view resource_id, std::string_view name) {
  return std::string(kScheduledActions) + ScalableTargetPart(dimension, resource_id) + std::string(name);
}
std::string ScalingActivityKey(std::string_view dimension, std::string_view resource_id, int64_t ms,
                               std::string_view activity_id) {
  char stamp[24];
  std::snprintf(stamp, sizeof(stamp), "%016lld-", static_cast<long long>(ms));
  return std::string(kScalingActivities) + ScalableTargetPart(dimension, resource_id) + stamp + std::string(activity_id);
}

std::string StackKey(std::string_view name) { return Join(kStacks, name); }
std::string DeletedStackKey(std::string_view stack_uuid) { return Join(kDeletedStacks, stack_uuid); }
std::string StackEventsPrefix(std::string_view stack_uuid) { return Join(kStackEvents, stack_uuid) + "/"; }
std::string StackEventKey(std::string_view stack_uuid, int64_t sequence) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%012lld", static_cast<long long>(sequence));
  return StackEventsPrefix(stack_uuid) + digits;
}
std::string ChangeSetsPrefix(std::string_view stack_name) { return Join(kChangeSets, stack_name) + "/"; }
std::string ChangeSetKey(std::string_view stack_name, std::string_view change_set_name) {
  return ChangeSetsPrefix(stack_name) + std::string(change_set_name);
}

std::string LogGroupKey(std::string_view group) { return Join(kLogGroups, group); }
std::string LogStreamsPrefix(std::string_view group) { return Join(kLogStreams, Escape(group)) + "/"; }
std::string LogStreamKey(std::string_view group, std::string_view stream) {
  return LogStreamsPrefix(group) + std::string(stream);
}
std::string LogMetricFiltersPrefix(std::string_view group) { return Join(kLogMetricFilters, Escape(group)) + "/"; }
std::string LogMetricFilterKey(std::string_view group, std::string_view filter) {
  return LogMetricFiltersPrefix(group) + std::string(filter);
}

std::string CloudMapNamespaceKey(std::string_view namespace_id) { return Join(kCloudMapNamespaces, namespace_id); }
std::string CloudMapServiceKey(std::string_view service_id) { return Join(kCloudMapServices, service_id); }
std::string CloudMapInstancesPrefix(std::string_view service_id) { return Join(kCloudMapInstances, service_id) + "/"; }
// Instance ids may hold '/' (InstanceId's pattern allows it): written with ':' would collide
// with ':' itself, so they are kept as given, under their service's prefix only.
std::string CloudMapInstanceKey(std::string_view service_id, std::string_view instance_id) {
  return CloudMapInstancesPrefix(service_id) + std::string(instance_id);
}
std::string CloudMapOperationKey(std::string_view operation_id) { return Join(kCloudMapOperations, operation_id); }
std::string CloudMapNamespaceNameKey(std::string_view type, std::string_view vpc, std::string_view name) {
  return Join(kCloudMapNames, type) + "/" + std::string(vpc.empty() ? "-" : vpc) + "/" + std::string(name);
}
std::string CloudMapServiceNameKey(std::string_view namespace_id, std::string_view name) {
  return Join(kCloudMapNames, namespace_id) + "/" + std::string(name);
}

std::string VpcKey(std::string_view id) { return Join(kVpcs, id); }
std::string SubnetKey(std::string_view id) { return Join(kSubnets, id); }
std::string SecurityGroupKey(std::string_view id) { return Join(kSecurityGroups, id); }
std::string SecurityGroupNameKey(std::string_view vpc_id, std::string_view name) {
  return Join(kSecurityGroupNames, vpc_id) + "/" + std::string(name);
}
std::string InternetGatewayKey(std::string_view id) { return Join(kInternetGateways, id); }
std::string AddressKey(std::string_view allocation_id) { return Join(kAddresses, allocation_id); }
std::string PublicIpKey(std::string_view ip) { return Join(kPublicIps, ip); }
std::string NatGatewayKey(std::string_view id) { return Join(kNatGateways, id); }
std::string RouteTableKey(std::string_view id) { return Join(kRouteTables, id); }
std::string NetworkAclKey(std::string_view id) { return Join(kNetworkAcls, id); }
std::string VpcEndpointKey(std::string_view id) { return Join(kVpcEndpoints, id); }

std::string Ec2ResourceKey(std::string_view id) {
  static constexpr std::pair<std::string_view, std::string_view> kinds[] = {
      {"vpc-", kVpcs},           {"subnet-", kSubnets},      {"sg-", kSecurityGroups},
      {"igw-", kInternetGateways}, {"eipalloc-", kAddresses}, {"nat-", kNatGateways},
      {"rtb-", kRouteTables},    {"acl-", kNetworkAcls},     {"vpce-", kVpcEndpoints}};
  for (const auto& [prefix, keys] : kinds) {
    if (id.starts_with(prefix)) return Join(keys, id);
  }
  return "";
}

}  // namespace wharf::model::keys
