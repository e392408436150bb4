// The page a route names.
import Header from "@cloudscape-design/components/header";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Box from "@cloudscape-design/components/box";
import type { Route } from "../lib/routes";
import { lazy, Suspense } from "react";
import Spinner from "@cloudscape-design/components/spinner";

// Each page (or family of pages) is a chunk of its own, loaded on first visit: the clusters
// page does not wait for the load balancer wizard. bench/console_bundle.mjs prints the sizes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function named<K extends string, T extends Record<K, React.ComponentType<any>>>(load: () => Promise<T>, name: K) {
  return lazy(async () => ({ default: (await load())[name] }));
}
// ECS pages one chunk each: the clusters list, the first page, loads nothing else.
const Clusters = named(() => import("./ecs/Clusters"), "Clusters");
const ClusterDetail = named(() => import("./ecs/ClusterDetail"), "ClusterDetail");
const CreateService = named(() => import("./ecs/CreateService"), "CreateService");
const CreateTaskDefinition = named(() => import("./ecs/CreateTaskDefinition"), "CreateTaskDefinition");
const ServiceDetail = named(() => import("./ecs/ServiceDetail"), "ServiceDetail");
const taskDefinitions = () => import("./ecs/TaskDefinitions");
const TaskDefinitions = named(taskDefinitions, "TaskDefinitions");
const TaskDefinitionFamily = named(taskDefinitions, "TaskDefinitionFamily");
const TaskDefinitionRevision = named(taskDefinitions, "TaskDefinitionRevision");
const TaskDetail = named(() => import("./ecs/TaskDetail"), "TaskDetail");
const ecr = () => import("./ecr/Repositories");
const Repositories = named(ecr, "Repositories");
const RepositoryDetail = named(ecr, "RepositoryDetail");
const lbs = () => import("./ec2/LoadBalancers");
const LoadBalancers = named(lbs, "LoadBalancers");
const LoadBalancerDetail = named(lbs, "LoadBalancerDetail");
const tgs = () => import("./ec2/TargetGroups");
const TargetGroups = named(tgs, "TargetGroups");
const TargetGroupDetail = named(tgs, "TargetGroupDetail");
const sgs = () => import("./ec2/SecurityGroups");
const SecurityGroups = named(sgs, "SecurityGroups");
const SecurityGroupDetail = named(sgs, "SecurityGroupDetail");
const vpcs = () => import("./vpc/Vpcs");
const Vpcs = named(vpcs, "Vpcs");
const VpcDetail = named(vpcs, "VpcDetail");
const Subnets = named(vpcs, "Subnets");
const SubnetDetail = named(vpcs, "SubnetDetail");
const ListenerDetail = lazy(async () => ({ default: (await import("./ec2/ListenerRules")).ListenerDetail }));
const cloudwatch = () => import("./cloudwatch");
const Metrics = named(cloudwatch, "Metrics");
const Alarms = named(cloudwatch, "Alarms");
const logs = () => import("./logs/LogGroups");
const LogGroups = named(logs, "LogGroups");
const LogGroupDetail = named(logs, "LogGroupDetail");
const LogStreamPage = named(logs, "LogStreamPage");

export function Page({ route }: { route: Route }) {
  return (
    <Suspense fallback={<Spinner size="large" />}>
      <RoutePage route={route} />
    </Suspense>
  );
}

function RoutePage({ route }: { route: Route }) {
  switch (route.page) {
    case "signin":
    case "clusters":
      return <Clusters />;
    case "cluster":
      return <ClusterDetail cluster={route.cluster} tab={route.tab} />;
    case "create-service":
      return <CreateService cluster={route.cluster} />;
    case "service":
      return <ServiceDetail cluster={route.cluster} service={route.service} tab={route.tab} />;
    case "task":
      return <TaskDetail cluster={route.cluster} task={route.task} tab={route.tab} />;
    case "task-definitions":
      return <TaskDefinitions />;
    case "task-definition-family":
      return <TaskDefinitionFamily family={route.family} />;
    case "task-definition":
      return <TaskDefinitionRevision family={route.family} revision={route.revision} tab={route.tab} />;
    case "create-task-definition":
      return <CreateTaskDefinition mode={route.mode} />;
    case "repositories":
      return <Repositories />;
    case "repository":
      return <RepositoryDetail repository={route.repository} />;
    case "load-balancers":
      return <LoadBalancers />;
    case "load-balancer":
      return <LoadBalancerDetail name={route.name} />;
    case "target-groups":
      return <TargetGroups />;
    case "target-group":
      return <TargetGroupDetail name={route.name} />;
    case "listener":
      return <ListenerDetail name={route.name} port={route.port} />;
    case "security-groups":
      return <SecurityGroups />;
    case "security-group":
      return <SecurityGroupDetail id={route.id} tab={route.tab} />;
    case "vpcs":
      return <Vpcs />;
    case "vpc":
      return <VpcDetail id={route.id} />;
    case "subnets":
      return <Subnets />;
    case "subnet":
      return <SubnetDetail id={route.id} />;
    case "metrics":
      return <Metrics namespace={route.namespace} metric={route.metric} dimensions={route.dimensions} />;
    case "alarms":
      return <Alarms />;
    case "log-groups":
      return <LogGroups />;
    case "log-group":
      return <LogGroupDetail group={route.group} />;
    case "log-stream":
      return <LogStreamPage group={route.group} stream={route.stream} />;
    case "not-found":
      return (
        <ContentLayout header={<Header variant="h1">Page not found</Header>}>
          <Box>There is no page at #{route.path}.</Box>
        </ContentLayout>
      );
  }
}
