// A service's scaling as the ECS console's "Service auto scaling" tab shows it: the scalable
// target's minimum and maximum, its policies and scheduled actions (Application Auto Scaling,
// read through its own client, in its own chunk: loaded when the tab is open).
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
} from "@aws-sdk/client-application-auto-scaling";
import { useApp, usePolled } from "../lib/app-context";
import { describePolicy, serviceResourceId } from "../lib/autoscaling";
import { autoScalingOf } from "../lib/client-autoscaling";
import { formatTime } from "../lib/status";
import { Details, Empty, LoadError } from "./common";

export default function ServiceAutoScaling({ cluster, service }: { cluster: string; service: string }) {
  const { clients } = useApp();
  const resourceId = serviceResourceId(cluster, service);
  const scaling = usePolled(async () => {
    const client = autoScalingOf(clients);
    const target = { ServiceNamespace: "ecs" as const, ResourceId: resourceId, ScalableDimension: "ecs:service:DesiredCount" as const };
    const [targets, policies, scheduled] = await Promise.all([
      client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs", ResourceIds: [resourceId], ScalableDimension: target.ScalableDimension })),
      client.send(new DescribeScalingPoliciesCommand(target)),
      client.send(new DescribeScheduledActionsCommand(target)),
    ]);
    return { target: targets.ScalableTargets?.[0], policies: policies.ScalingPolicies ?? [], scheduled: scheduled.ScheduledActions ?? [] };
  }, [clients, resourceId]);
  const t = scaling.data?.target;
  if (scaling.data && !t) {
    return (
      <Container header={<Header variant="h2">Service auto scaling</Header>}>
        <Empty title="No scalable target">
          This service's desired count is not scaled (aws application-autoscaling register-scalable-target).
        </Empty>
      </Container>
    );
  }
  return (
    <SpaceBetween size="l">
      <LoadError error={scaling.error} what="the service's auto scaling" />
      <Container header={<Header variant="h2">Service auto scaling</Header>}>
        <Details
          columns={4}
          items={[
            ["Minimum number of tasks", t?.MinCapacity],
            ["Maximum number of tasks", t?.MaxCapacity],
            ["Scale-out", t?.SuspendedState?.DynamicScalingOutSuspended ? "Suspended" : t ? "Active" : undefined],
            ["Scale-in", t?.SuspendedState?.DynamicScalingInSuspended ? "Suspended" : t ? "Active" : undefined],
          ]}
        />
      </Container>
      <Table
        loading={scaling.loading && !scaling.data}
        items={scaling.data?.policies ?? []}
        trackBy="PolicyName"
        header={<Header counter={scaling.data ? `(${scaling.data.policies.length})` : undefined}>Scaling policies</Header>}
        empty={<Empty title="No scaling policies" />}
        columnDefinitions={[
          { id: "name", header: "Policy name", cell: (p) => p.PolicyName },
          { id: "policy", header: "Policy", cell: (p) => describePolicy(p) },
          { id: "alarms", header: "Alarms", cell: (p) => (p.Alarms ?? []).map((a) => a.AlarmName).join(", ") || "-" },
          { id: "created", header: "Created", cell: (p) => formatTime(p.CreationTime) },
        ]}
      />
      <Table
        loading={scaling.loading && !scaling.data}
        items={scaling.data?.scheduled ?? []}
        trackBy="ScheduledActionName"
        header={<Header counter={scaling.data ? `(${scaling.data.scheduled.length})` : undefined}>Scheduled actions</Header>}
        empty={<Empty title="No scheduled actions" />}
        columnDefinitions={[
          { id: "name", header: "Name", cell: (a) => a.ScheduledActionName },
          { id: "schedule", header: "Schedule", cell: (a) => `${a.Schedule}${a.Timezone ? ` (${a.Timezone})` : ""}` },
          { id: "capacity", header: "Min / max", cell: (a) => `${a.ScalableTargetAction?.MinCapacity ?? "-"} / ${a.ScalableTargetAction?.MaxCapacity ?? "-"}` },
        ]}
      />
    </SpaceBetween>
  );
}
