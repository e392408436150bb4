// Target groups with their targets' live health; create (protocol, port, target type,
// VPC, health check path) and delete.
import { useEffect, useState } from "react";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import RadioGroup from "@cloudscape-design/components/radio-group";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  TargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ec2Of } from "../../lib/ec2";
import { useApp, usePolled } from "../../lib/app-context";
import { arnName } from "../../lib/status";
import { ActionModal, DetailHeader, DetailsPanel, Empty, LoadError, RouteLink, State } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { PolledTable, ResourceTable, useListState } from "../../components/ResourceTable";
import { elbv2Of } from "../../lib/client-elbv2";
import { InputField } from "../../components/forms";
import { useAction } from "../../lib/actions";

export function TargetGroups() {
  const { clients } = useApp();
  const list = useListState<TargetGroup>();
  const deleting = list.deleting;
  const groups = usePolled(async () => (await elbv2Of(clients).send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [], [clients]);
  return (
    <SpaceBetween size="l">
      <LoadError error={groups.error} what="target groups" />
      <ResourceTable
        title="Target groups"
        list={groups}
        state={list}
        trackBy="TargetGroupArn"
        nameOf={(g) => g.TargetGroupName ?? ""}
        deleteLabel="Delete"
        createLabel="Create target group"
        emptyTitle="No target groups"
        columnDefinitions={[
          { id: "name", header: "Name", cell: (g) => <RouteLink to={{ page: "target-group", name: g.TargetGroupName ?? "" }}>{g.TargetGroupName}</RouteLink> },
          { id: "port", header: "Port", cell: (g) => g.Port },
          { id: "protocol", header: "Protocol", cell: (g) => g.Protocol },
          { id: "type", header: "Target type", cell: (g) => g.TargetType },
          { id: "lb", header: "Load balancer", cell: (g) => (g.LoadBalancerArns?.length ? g.LoadBalancerArns.map((a) => arnName(a.replace(/\/[^/]+$/, ""))).join(", ") : "None associated") },
          { id: "vpc", header: "VPC ID", cell: (g) => g.VpcId },
          { id: "hc", header: "Health check path", cell: (g) => g.HealthCheckPath ?? "-" },
        ]}
      />
      {list.creating && (
        <CreateTargetGroupModal
          onClose={() => list.setCreating(false)}
          onCreated={() => list.created(groups)}
        />
      )}
      {deleting && (
        <DeleteResourceModal
          title="Delete target group"
          kind="Target group"
          name={deleting.TargetGroupName ?? ""}
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => elbv2Of(clients).send(new DeleteTargetGroupCommand({ TargetGroupArn: deleting.TargetGroupArn }))}
          onDeleted={() => list.deleted(groups)}
        />
      )}
    </SpaceBetween>
  );
}

export interface TargetGroupSettings {
  name: string;
  targetType: "ip" | "instance";
  port: string;
  vpc: string;
  healthPath: string;
  interval: string; // seconds between health checks
  healthyThreshold: string; // checks passed before a target is healthy
}

export const DEFAULT_TARGET_GROUP: TargetGroupSettings = {
  name: "",
  targetType: "ip",
  port: "80",
  vpc: "",
  healthPath: "/",
  interval: "30",
  healthyThreshold: "5",
};

export function TargetGroupFields({ value, onChange, errors }: { value: TargetGroupSettings; onChange: (v: TargetGroupSettings) => void; errors: Record<string, string> }) {
  const { clients } = useApp();
  const vpcs = usePolled(async () => (await ec2Of(clients).send(new DescribeVpcsCommand({}))).Vpcs ?? [], [clients], false);
  useEffect(() => {
    if (!value.vpc && vpcs.data?.length) {
      const v = vpcs.data.find((x) => x.IsDefault) ?? vpcs.data[0];
      onChange({ ...value, vpc: v.VpcId ?? "" });
    }
  }, [vpcs.data, value.vpc]);
  return (
    <SpaceBetween size="l">
      <FormField label="Target type">
        <RadioGroup
          value={value.targetType}
          onChange={(e) => onChange({ ...value, targetType: e.detail.value as "ip" | "instance" })}
          items={[
            { value: "ip", label: "IP addresses", description: "For tasks in the awsvpc network mode (Fargate)." },
            { value: "instance", label: "Instances", description: "For tasks in the bridge or host network mode." },
          ]}
        />
      </FormField>
      <ColumnLayout columns={3}>
        <InputField label="Target group name" errorText={errors.name} value={value.name} onChange={(entered) => onChange({ ...value, name: entered })} controlId="target-group-name" />
        <InputField label="Protocol : Port" errorText={errors.port} value={value.port} inputMode="numeric" onChange={(entered) => onChange({ ...value, port: entered })} controlId="target-group-port" />
        <FormField label="VPC">
          <Select
            selectedOption={value.vpc ? { value: value.vpc, label: value.vpc } : null}
            options={(vpcs.data ?? []).map((v) => ({ value: v.VpcId ?? "", label: v.VpcId, description: v.CidrBlock }))}
            onChange={(e) => onChange({ ...value, vpc: e.detail.selectedOption.value ?? "" })}
          />
        </FormField>
      </ColumnLayout>
      <ColumnLayout columns={3}>
        <InputField label="Health check path" description="HTTP GET; 200 is healthy." errorText={errors.healthPath} value={value.healthPath} onChange={(entered) => onChange({ ...value, healthPath: entered })} controlId="health-check-path" />
        <InputField label="Interval" description="Seconds between checks (5-300)." errorText={errors.interval} value={value.interval} inputMode="numeric" onChange={(entered) => onChange({ ...value, interval: entered })} controlId="health-check-interval" />
        <FormField label="Healthy threshold" description="Checks passed in a row (2-10)." errorText={errors.healthyThreshold}>
          <Input
            value={value.healthyThreshold}
            inputMode="numeric"
            onChange={(e) => onChange({ ...value, healthyThreshold: e.detail.value })}
            controlId="healthy-threshold"
          />
        </FormField>
      </ColumnLayout>
    </SpaceBetween>
  );
}

export function checkTargetGroup(v: TargetGroupSettings): Record<string, string> {
  const e: Record<string, string> = {};
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(v.name)) e.name = "Up to 32 letters, numbers and hyphens; no hyphen at either end.";
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) e.port = "A port is a number from 1 to 65535.";
  if (!v.healthPath.startsWith("/")) e.healthPath = "The path starts with /.";
  const interval = Number(v.interval);
  if (!Number.isInteger(interval) || interval < 5 || interval > 300) e.interval = "From 5 to 300 seconds.";
  const threshold = Number(v.healthyThreshold);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > 10) e.healthyThreshold = "From 2 to 10.";
  return e;
}

export async function createTargetGroup(clients: ReturnType<typeof useApp>["clients"], v: TargetGroupSettings) {
  const r = await elbv2Of(clients).send(
    new CreateTargetGroupCommand({
      Name: v.name,
      Protocol: "HTTP",
      Port: Number(v.port),
      VpcId: v.vpc || undefined,
      TargetType: v.targetType,
      HealthCheckPath: v.healthPath,
      HealthCheckIntervalSeconds: Number(v.interval),
      // The timeout must be shorter than the interval; AWS's default is 5 s.
      HealthCheckTimeoutSeconds: Math.min(5, Number(v.interval) - 1),
      HealthyThresholdCount: Number(v.healthyThreshold),
    }),
  );
  return r.TargetGroups?.[0];
}

function CreateTargetGroupModal({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const { clients, notify } = useApp();
  const [v, setV] = useState<TargetGroupSettings>(DEFAULT_TARGET_GROUP);
  const [submitted, setSubmitted] = useState(false);
  const [busy, run] = useAction();
  const errors = submitted ? checkTargetGroup(v) : {};
  const submit = async () => {
    setSubmitted(true);
    if (Object.keys(checkTargetGroup(v)).length) return;
    await run(`Target group ${v.name} could not be created`, async () => {
      await createTargetGroup(clients, v);
      notify({ type: "success", content: `Target group ${v.name} has been created.` });
      onCreated();
    });
  };
  return (
    <ActionModal
      header="Create target group"
      size="large"
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} onClick={() => void submit()}>
          Create target group
        </Button>
      }
    >
      <TargetGroupFields value={v} onChange={setV} errors={errors} />
    </ActionModal>
  );
}

export function TargetGroupDetail({ name }: { name: string }) {
  const { clients } = useApp();
  const group = usePolled(async () => (await elbv2Of(clients).send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0], [clients, name], false);
  const health = usePolled(
    async () =>
      group.data ? (await elbv2Of(clients).send(new DescribeTargetHealthCommand({ TargetGroupArn: group.data.TargetGroupArn }))).TargetHealthDescriptions ?? [] : undefined,
    [clients, group.data?.TargetGroupArn],
  );
  const g = group.data;
  const count = (state: string) => (health.data ?? []).filter((t) => t.TargetHealth?.State === state).length;
  return (
    <ContentLayout
      header={
        <DetailHeader crumbs={[["Target groups", { page: "target-groups" }], [name, { page: "target-group", name }]]}>{name}</DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={group.error} what="the target group" />
        <DetailsPanel
          title="Details"
          columns={4}
          items={[
            ["Target type", g?.TargetType],
            ["Protocol : Port", g ? `${g.Protocol}: ${g.Port}` : undefined],
            ["VPC", g?.VpcId],
            ["Load balancer", g?.LoadBalancerArns?.length ? g.LoadBalancerArns.map((a) => a.split("/")[2]).join(", ") : "None associated"],
            ["Health check", g ? `${g.HealthCheckProtocol} ${g.HealthCheckPath} every ${g.HealthCheckIntervalSeconds} s` : undefined],
            ["Healthy / unhealthy thresholds", g ? `${g.HealthyThresholdCount} / ${g.UnhealthyThresholdCount}` : undefined],
            ["Total targets", health.data ? String(health.data.length) : undefined],
            ["Healthy / Unhealthy / Initial / Draining", health.data ? `${count("healthy")} / ${count("unhealthy")} / ${count("initial")} / ${count("draining")}` : undefined],
            ["ARN", g?.TargetGroupArn],
          ]}
        />
        <LoadError error={health.error} what="target health" />
        <PolledTable
          list={health}
          title="Registered targets"
          trackBy={(t) => `${t.Target?.Id}:${t.Target?.Port}`}
          empty={<Empty title="No registered targets" />}
          columnDefinitions={[
            { id: "id", header: "IP address / instance", cell: (t) => t.Target?.Id },
            { id: "port", header: "Port", cell: (t) => t.Target?.Port },
            { id: "zone", header: "Zone", cell: (t) => t.Target?.AvailabilityZone ?? "-" },
            { id: "state", header: "Health status", cell: (t) => <State value={t.TargetHealth?.State} /> },
            { id: "details", header: "Health status details", cell: (t) => t.TargetHealth?.Description ?? t.TargetHealth?.Reason ?? "-" },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}
