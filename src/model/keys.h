// The store's key layout, the code twin of docs/STATE.md: every key and prefix wharf writes is
// spelled here and nowhere else. A prefix ends in '/' so it never covers a sibling's keys
// ("ecs/tasks/a/" is not a prefix of "ecs/tasks/ab/..."). Names that may hold '/' (ECR
// repositories, log groups) are written with ':' there, a character their names cannot have.
//
// Pure string building; no I/O. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wharf::model::keys {

// Regions (store/region_store.h): a region's keys are the ones below under RegionPrefix;
// the home region's prefix is empty. kSharedPrefixes are the keys every region shares
// (something the machine has one of), kept unprefixed. kStartedRegions lists the regions
// that ever served a request, so a restarted server runs their controllers again.
inline constexpr std::string_view kStartedRegions = "started-regions/";
std::string RegionPrefix(std::string_view region);  // "regions/<name>/"
std::string StartedRegionKey(std::string_view region);

// IAM
inline constexpr std::string_view kAccessKeys = "iam/access-keys/";
inline constexpr std::string_view kAccessKeyLastUsed = "iam/access-key-last-used/";
inline constexpr std::string_view kIamUsers = "iam/users/";
inline constexpr std::string_view kIamGroups = "iam/groups/";
inline constexpr std::string_view kIamRoles = "iam/roles/";
inline constexpr std::string_view kIamPolicies = "iam/policies/";
inline constexpr std::string_view kIamAwsPolicyAttachments = "iam/aws-policy-attachments/";
inline constexpr std::string_view kIamInstanceProfiles = "iam/instance-profiles/";
// STS temporary credentials, by their access key id (ASIA...), until they expire.
inline constexpr std::string_view kIamSessions = "iam/sessions/";
std::string IamSessionKey(std::string_view access_key_id);
std::string AccessKeyKey(std::string_view access_key_id);
std::string AccessKeyLastUsedKey(std::string_view access_key_id);
// IAM names are unique without regard to case: these keys take the name lower-cased.
std::string IamUserKey(std::string_view user_name);
std::string IamGroupKey(std::string_view group_name);
std::string IamRoleKey(std::string_view role_name);
std::string IamPolicyKey(std::string_view policy_name);  // customer managed policies
std::string IamAwsPolicyAttachmentsKey(std::string_view policy_name);  // AWS managed ones
std::string IamInstanceProfileKey(std::string_view profile_name);
// The account's own IAM settings: its password policy and its alias.
inline constexpr std::string_view kIamPasswordPolicy = "iam/account/password-policy";
inline constexpr std::string_view kIamAccountAlias = "iam/account/alias";

// ECS
inline constexpr std::string_view kClusters = "ecs/clusters/";
inline constexpr std::string_view kTaskDefinitions = "ecs/task-definitions/";
inline constexpr std::string_view kTaskDefinitionFamilies = "ecs/task-definition-families/";
inline constexpr std::string_view kAccountSettings = "ecs/account-settings/";
inline constexpr std::string_view kContainerInstances = "ecs/container-instances/";
inline constexpr std::string_view kTasks = "ecs/tasks/";
inline constexpr std::string_view kServices = "ecs/services/";
inline constexpr std::string_view kEniIps = "ecs/eni-ips/";
inline constexpr std::string_view kPlacementEpoch = "ecs/placement-epoch";

std::string ClusterKey(std::string_view name);
// All families' revisions for an empty `family`.
std::string TaskDefinitionPrefix(std::string_view family);
std::string TaskDefinitionKey(std::string_view family, int64_t revision);  // revision in 10 digits
std::string FamilyKey(std::string_view family);
std::string AccountSettingKey(std::string_view principal_arn, std::string_view name);
std::string ContainerInstancesPrefix(std::string_view cluster);
std::string ContainerInstanceKey(std::string_view cluster, std::string_view id);
std::string TasksPrefix(std::string_view cluster);
std::string TaskKey(std::string_view cluster, std::string_view id);
std::string ServicesPrefix(std::string_view cluster);
std::string ServiceKey(std::string_view cluster, std::string_view name);
std::string EniIpPrefix(std::string_view subnet_id);
std::string EniIpKey(std::string_view subnet_id, std::string_view ip);

// Elastic Load Balancing: every record under kElbv2 (what the data plane is built from).
inline constexpr std::string_view kElbv2 = "elbv2/";
inline constexpr std::string_view kLoadBalancers = "elbv2/load-balancers/";
inline constexpr std::string_view kTargetGroups = "elbv2/target-groups/";
inline constexpr std::string_view kListeners = "elbv2/listeners/";
inline constexpr std::string_view kRules = "elbv2/rules/";
inline constexpr std::string_view kListenerPorts = "elbv2/ports/";

std::string LoadBalancerKey(std::string_view name);
std::string TargetGroupKey(std::string_view name);
// Every load balancer's listeners for an empty `lb_name`.
std::string ListenersPrefix(std::string_view lb_name);
std::string ListenerKey(std::string_view lb_name, std::string_view listener_id);
// A load balancer's rules for an empty `listener_id`; every rule for an empty `lb_name`.
std::string RulesPrefix(std::string_view lb_name, std::string_view listener_id);
std::string RuleKey(std::string_view lb_name, std::string_view listener_id, std::string_view rule_id);
std::string ListenerPortKey(int64_t port);

// ECR
inline constexpr std::string_view kRepositories = "ecr/repositories/";
inline constexpr std::string_view kImages = "ecr/images/";
inline constexpr std::string_view kImageTags = "ecr/tags/";
inline constexpr std::string_view kBlobLinks = "ecr/blob-links/";
inline constexpr std::string_view kRegistryTokenKey = "ecr/token-key";

std::string RepositoryKey(std::string_view repository);
// The repository name back from a key under kRepositories.
std::string RepositoryNameOfKey(std::string_view key);
std::string ImagesPrefix(std::string_view repository);
std::string ImageTagsPrefix(std::string_view repository);
std::string BlobLinksPrefix(std::string_view repository);
std::string BlobLinkKey(std::string_view repository, std::string_view digest);

// CloudWatch Logs
inline constexpr std::string_view kLogGroups = "logs/groups/";
inline constexpr std::string_view kLogStreams = "logs/streams/";
inline constexpr std::string_view kLogMetricFilters = "logs/metricfilters/";

std::string LogGroupKey(std::string_view group);
std::string LogStreamsPrefix(std::string_view group);
std::string LogStreamKey(std::string_view group, std::string_view stream);
std::string LogMetricFiltersPrefix(std::string_view group);
std::string LogMetricFilterKey(std::string_view group, std::string_view filter);

// KMS: keys by key id (a UUID), aliases by their name without "alias/" (which may hold '/').
inline constexpr std::string_view kKmsKeys = "kms/keys/";
inline constexpr std::string_view kKmsAliases = "kms/aliases/";
std::string KmsKeyKey(std::string_view key_id);
std::string KmsAliasKey(std::string_view alias_name);  // "alias/x" -> "kms/aliases/x"

// Secrets Manager: one record per secret, by name (which may hold '/'), versions inside.
inline constexpr std::string_view kSecrets = "secretsmanager/secrets/";
std::string SecretKey(std::string_view name);

// SSM Parameter Store: one record per parameter (its whole history), by name ("name" or
// "/a/b": a path's keys are under SsmParametersPrefix("/a/")).
inline constexpr std::string_view kSsmParameters = "ssm/parameters/";
std::string SsmParameterKey(std::string_view name);
// CloudWatch alarms: one record per alarm by name (the MetricAlarm DescribeAlarms shows), and
// its history items by alarm name and time ("<name>/<ms, 16 digits>-<seq>"). Metric data is
// not in the store: metrics/metric_store.h keeps it under DATA/metrics/.
inline constexpr std::string_view kCloudWatchAlarms = "cloudwatch/alarms/";
inline constexpr std::string_view kCloudWatchAlarmHistory = "cloudwatch/alarm-history/";
std::string CloudWatchAlarmKey(std::string_view name);
// CloudWatch dashboards: one record per dashboard by name ({body, lastModified}).
inline constexpr std::string_view kCloudWatchDashboards = "cloudwatch/dashboards/";
std::string CloudWatchDashboardKey(std::string_view name);

// Application Auto Scaling: a scalable target by its dimension and resource id ('/' written
// ':'), "<ScalableDimension>/<ResourceId>/" (TargetPart); its scaling policies and scheduled
// actions by name under that part, so one prefix lists a target's; its scaling activities
// by time ("<ms, 16 digits>-<ActivityId>") under the same part.
inline constexpr std::string_view kScalableTargets = "application-autoscaling/targets/";
inline constexpr std::string_view kScalingPolicies = "application-autoscaling/policies/";
inline constexpr std::string_view kScheduledActions = "application-autoscaling/scheduled-actions/";
inline constexpr std::string_view kScalingActivities = "application-autoscaling/activities/";
std::string ScalableTargetPart(std::string_view dimension, std::string_view resource_id);
std::string ScalableTargetKey(std::string_view dimension, std::string_view resource_id);
std::string ScalingPolicyKey(std::string_view dimension, std::string_view resource_id, std::string_view name);
std::string ScheduledActionKey(std::string_view dimension, std::string_view resource_id, std::string_view name);
std::string ScalingActivityKey(std::string_view dimension, std::string_view resource_id, int64_t ms,
                               std::string_view activity_id);

// Cloud Map (servicediscovery): namespaces, services and operations by id; a service's
// instances under its id, so one prefix lists them (and DNS answers read only that).
inline constexpr std::string_view kCloudMapNamespaces = "servicediscovery/namespaces/";
inline constexpr std::string_view kCloudMapServices = "servicediscovery/services/";
inline constexpr std::string_view kCloudMapInstances = "servicediscovery/instances/";
inline constexpr std::string_view kCloudMapOperations = "servicediscovery/operations/";
std::string CloudMapNamespaceKey(std::string_view namespace_id);
std::string CloudMapServiceKey(std::string_view service_id);
std::string CloudMapInstancesPrefix(std::string_view service_id);
std::string CloudMapInstanceKey(std::string_view service_id, std::string_view instance_id);
std::string CloudMapOperationKey(std::string_view operation_id);
// A name's claim, holding the id of the namespace or service that has it, so two creations
// of one name cannot both commit: namespaces by type, VPC ("-" for none) and name; services
// by namespace id and name. DNS names are claimed lower-cased (they are unique without case).
inline constexpr std::string_view kCloudMapNames = "servicediscovery/names/";
std::string CloudMapNamespaceNameKey(std::string_view type, std::string_view vpc, std::string_view name);
std::string CloudMapServiceNameKey(std::string_view namespace_id, std::string_view name);

// CloudFormation: a live stack by its name (names are unique among live stacks), a deleted
// one by its stack id's UUID (DescribeStacks still answers it); events by stack UUID in
// order; change sets by stack name and change set name.
inline constexpr std::string_view kStacks = "cloudformation/stacks/";
inline constexpr std::string_view kDeletedStacks = "cloudformation/deleted-stacks/";
inline constexpr std::string_view kStackEvents = "cloudformation/stack-events/";
inline constexpr std::string_view kChangeSets = "cloudformation/change-sets/";
std::string StackKey(std::string_view name);
std::string DeletedStackKey(std::string_view stack_uuid);
std::string StackEventsPrefix(std::string_view stack_uuid);
std::string StackEventKey(std::string_view stack_uuid, int64_t sequence);
std::string ChangeSetsPrefix(std::string_view stack_name);
std::string ChangeSetKey(std::string_view stack_name, std::string_view change_set_name);

// EC2
inline constexpr std::string_view kVpcs = "ec2/vpcs/";
inline constexpr std::string_view kSubnets = "ec2/subnets/";
inline constexpr std::string_view kSecurityGroups = "ec2/security-groups/";
inline constexpr std::string_view kSecurityGroupNames = "ec2/security-group-names/";
inline constexpr std::string_view kInternetGateways = "ec2/internet-gateways/";
inline constexpr std::string_view kAddresses = "ec2/addresses/";      // elastic IPs by allocation id
inline constexpr std::string_view kPublicIps = "ec2/public-ips/";     // a pool address's claim
inline constexpr std::string_view kNatGateways = "ec2/nat-gateways/";
inline constexpr std::string_view kRouteTables = "ec2/route-tables/";
inline constexpr std::string_view kNetworkAcls = "ec2/network-acls/";
inline constexpr std::string_view kVpcEndpoints = "ec2/vpc-endpoints/";

std::string VpcKey(std::string_view id);
std::string SubnetKey(std::string_view id);
std::string SecurityGroupKey(std::string_view id);
std::string SecurityGroupNameKey(std::string_view vpc_id, std::string_view name);
std::string InternetGatewayKey(std::string_view id);
std::string AddressKey(std::string_view allocation_id);
std::string PublicIpKey(std::string_view ip);
std::string NatGatewayKey(std::string_view id);
std::string RouteTableKey(std::string_view id);
std::string NetworkAclKey(std::string_view id);
std::string VpcEndpointKey(std::string_view id);
// Shared by every region (see kStartedRegions).
inline constexpr std::string_view kSharedPrefixes[] = {"iam/", "elbv2/ports/", "ec2/public-ips/"};

// The record of any EC2 resource wharf keeps, by its id's prefix (vpc-, subnet-, sg-, igw-,
// eipalloc-, nat-, rtb-, acl-, vpce-); empty for an id of another kind.
std::string Ec2ResourceKey(std::string_view id);

}  // namespace wharf::model::keys
