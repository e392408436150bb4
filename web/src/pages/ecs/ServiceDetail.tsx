// A service: overview, deployments (rollout state, percentages), events, tasks, target
// health, auto scaling; update (desired count, revision, force new deployment) and delete.
import { lazy, Suspense, useState } from "react";
import Spinner from "@cloudscape-design/components/spinner";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { DeleteServiceCommand, DescribeServicesCommand, paginateListTaskDefinitions, Service, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, TargetHealthDescription } from "@aws-sdk/client-elastic-load-balancing-v2";
import { useApp, usePolled } from "../../lib/app-context";
import { clusterCrumbs, taskDefinitionRoute } from "../../lib/routes";
import { formatTime, taskDefinitionName } from "../../lib/status";
import { ActionModal, DetailHeader, DetailsPanel, Empty, LoadError, RouteLink, RouteTabs, State } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { listTasks, TasksTable } from "./ClusterDetail";
import { ecsOf } from "../../lib/client-ecs";
import { elbv2Of } from "../../lib/client-elbv2";
import { PolledTable } from "../../components/ResourceTable";
import { useAction } from "../../lib/actions";

const ServiceMetrics = lazy(() => import("../../components/ServiceMetrics"));
const ServiceAutoScaling = lazy(() => import("../../components/ServiceAutoScaling"));

export function ServiceDetail({ cluster, service, tab }: { cluster: string; service: string; tab?: string }) {
  const { clients, go } = useApp();
  const svc = usePolled(async () => {
    const r = await ecsOf(clients).send(new DescribeServicesCommand({ cluster, services: [service] }));
    const s = r.services?.[0];
    if (!s) throw Object.assign(new Error(`Service ${service} was not found in cluster ${cluster}.`), { name: "ServiceNotFoundException" });
    return s;
  }, [clients, cluster, service]);
  const [updating, setUpdating] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const s = svc.data;
  const primary = s?.deployments?.find((d) => d.status === "PRIMARY");

  return (
    <ContentLayout
      header={
        <DetailHeader
          crumbs={clusterCrumbs(cluster, ["Services", { page: "cluster", cluster, tab: "services" }], [service, { page: "service", cluster, service }])}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button disabled={!s || s.status !== "ACTIVE"} onClick={() => setDeleting(true)}>
                Delete service
              </Button>
              <Button variant="primary" disabled={!s || s.status !== "ACTIVE"} onClick={() => setUpdating(true)}>
                Update service
              </Button>
            </SpaceBetween>
          }
        >
          {service}
        </DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={svc.error} what="the service" />
        <DetailsPanel
          title="Service overview"
          columns={4}
          items={[
            ["Status", <State value={s?.status} />],
            ["Tasks", s ? `${s.runningCount ?? 0}/${s.desiredCount ?? 0} Tasks running` : undefined],
            ["Pending tasks", s ? String(s.pendingCount ?? 0) : undefined],
            ["Deployment status", <State value={primary?.rolloutState} />],
            ["Task definition: revision", s && <RouteLink to={taskDefinitionRoute(s.taskDefinition)}>{taskDefinitionName(s.taskDefinition)}</RouteLink>],
            ["Launch type", s?.launchType ?? s?.capacityProviderStrategy?.map((c) => c.capacityProvider).join(", ")],
            [
              "Deployment configuration",
              s?.deploymentConfiguration
                ? `Min ${s.deploymentConfiguration.minimumHealthyPercent ?? 100}% / max ${s.deploymentConfiguration.maximumPercent ?? 200}%`
                : undefined,
            ],
            ["Health check grace period", s?.healthCheckGracePeriodSeconds !== undefined ? `${s.healthCheckGracePeriodSeconds} seconds` : undefined],
            ["ARN", s?.serviceArn],
            ["Created", formatTime(s?.createdAt)],
          ]}
        />
        <RouteTabs
          activeTabId={tab ?? "health"}
          route={(tab) => ({ page: "service", cluster, service, tab })}
          tabs={[
            {
              id: "health",
              label: "Health and metrics",
              content: (
                <SpaceBetween size="l">
                  <TargetHealthTab service={s} />
                  <Suspense fallback={<Spinner />}>
                    <ServiceMetrics cluster={cluster} service={service} />
                  </Suspense>
                </SpaceBetween>
              ),
            },
            { id: "tasks", label: "Tasks", content: <ServiceTasks cluster={cluster} service={service} /> },
            { id: "deployments", label: "Deployments", content: <Deployments service={s} loading={svc.loading} /> },
            { id: "events", label: "Events", content: <Events service={s} loading={svc.loading} /> },
            {
              id: "autoscaling",
              label: "Service auto scaling",
              content: (
                <Suspense fallback={<Spinner />}>
                  <ServiceAutoScaling cluster={cluster} service={service} />
                </Suspense>
              ),
            },
          ]}
        />
      </SpaceBetween>
      {updating && s && (
        <UpdateServiceModal
          service={s}
          onClose={() => setUpdating(false)}
          onUpdated={() => {
            setUpdating(false);
            svc.reload();
          }}
        />
      )}
      {deleting && s && (
        <DeleteResourceModal
          title="Delete service"
          kind="Service"
          name={service}
          deletedMessage={`Service ${service} is being deleted: its tasks are stopping.`}
          onClose={() => setDeleting(false)}
          onDelete={() => ecsOf(clients).send(new DeleteServiceCommand({ cluster, service, force: true }))}
          onDeleted={() => go({ page: "cluster", cluster })}
        >
          <Box>Its tasks are stopped, whatever the desired count (force delete).</Box>
        </DeleteResourceModal>
      )}
    </ContentLayout>
  );
}

function ServiceTasks({ cluster, service }: { cluster: string; service: string }) {
  const { clients } = useApp();
  const tasks = usePolled(() => listTasks(clients, cluster, { serviceName: service }), [clients, cluster, service]);
  return (
    <SpaceBetween size="s">
      <LoadError error={tasks.error} what="tasks" />
      <TasksTable cluster={cluster} tasks={tasks.data} loading={tasks.loading} reload={tasks.reload} />
    </SpaceBetween>
  );
}

function Deployments({ service, loading }: { service: Service | undefined; loading: boolean }) {
  return (
    <Table
      loading={loading && !service}
      items={service?.deployments ?? []}
      trackBy="id"
      header={<Header counter={service ? `(${service.deployments?.length ?? 0})` : undefined}>Deployments</Header>}
      empty={<Empty title="No deployments" />}
      columnDefinitions={[
        { id: "id", header: "Deployment ID", cell: (d) => d.id },
        { id: "status", header: "Status", cell: (d) => <State value={d.status} /> },
        { id: "rollout", header: "Rollout state", cell: (d) => <State value={d.rolloutState} /> },
        { id: "reason", header: "Rollout state reason", cell: (d) => d.rolloutStateReason ?? "-" },
        { id: "taskdef", header: "Task definition", cell: (d) => taskDefinitionName(d.taskDefinition) },
        { id: "desired", header: "Desired", cell: (d) => d.desiredCount ?? 0 },
        { id: "pending", header: "Pending", cell: (d) => d.pendingCount ?? 0 },
        { id: "running", header: "Running", cell: (d) => d.runningCount ?? 0 },
        { id: "failed", header: "Failed tasks", cell: (d) => d.failedTasks ?? 0 },
        { id: "updated", header: "Updated at", cell: (d) => formatTime(d.updatedAt) },
      ]}
    />
  );
}

function Events({ service, loading }: { service: Service | undefined; loading: boolean }) {
  return (
    <Table
      loading={loading && !service}
      items={service?.events ?? []}
      trackBy="id"
      header={<Header counter={service ? `(${service.events?.length ?? 0})` : undefined}>Events</Header>}
      empty={<Empty title="No events" />}
      columnDefinitions={[
        { id: "at", header: "Started at", cell: (e) => formatTime(e.createdAt) },
        { id: "message", header: "Message", cell: (e) => e.message },
      ]}
    />
  );
}

function TargetHealthTab({ service }: { service: Service | undefined }) {
  const { clients } = useApp();
  const groups = (service?.loadBalancers ?? []).map((lb) => lb.targetGroupArn).filter((a): a is string => !!a);
  const health = usePolled(async () => {
    const out: (TargetHealthDescription & { group: string })[] = [];
    if (!groups.length) return out;
    const described = await elbv2Of(clients).send(new DescribeTargetGroupsCommand({ TargetGroupArns: groups }));
    for (const g of described.TargetGroups ?? []) {
      const r = await elbv2Of(clients).send(new DescribeTargetHealthCommand({ TargetGroupArn: g.TargetGroupArn }));
      for (const t of r.TargetHealthDescriptions ?? []) out.push({ ...t, group: g.TargetGroupName ?? "" });
    }
    return out;
  }, [clients, groups.join(",")]);
  if (!service) return null;
  if (!groups.length) return <Container><Box>This service has no load balancer: its tasks' health is on the Tasks tab.</Box></Container>;
  return (
    <SpaceBetween size="s">
      <LoadError error={health.error} what="target health" />
      <PolledTable
        list={health}
        title="Target health"
        trackBy={(t) => `${t.group} ${t.Target?.Id}:${t.Target?.Port}`}
        empty={<Empty title="No targets" />}
        columnDefinitions={[
          { id: "group", header: "Target group", cell: (t) => <RouteLink to={{ page: "target-group", name: t.group }}>{t.group}</RouteLink> },
          { id: "target", header: "Target", cell: (t) => `${t.Target?.Id}:${t.Target?.Port}` },
          { id: "state", header: "Health status", cell: (t) => <State value={t.TargetHealth?.State} /> },
          { id: "reason", header: "Health status details", cell: (t) => t.TargetHealth?.Description ?? t.TargetHealth?.Reason ?? "-" },
        ]}
      />
    </SpaceBetween>
  );
}

function UpdateServiceModal({ service, onClose, onUpdated }: { service: Service; onClose: () => void; onUpdated: () => void }) {
  const { clients, notify } = useApp();
  const family = taskDefinitionName(service.taskDefinition).split(":")[0];
  const [desired, setDesired] = useState(String(service.desiredCount ?? 0));
  const [revision, setRevision] = useState(taskDefinitionName(service.taskDefinition));
  const [force, setForce] = useState(false);
  const [busy, run] = useAction();
  const revisions = usePolled(
    async () => {
      const out: string[] = [];
      for await (const page of paginateListTaskDefinitions({ client: ecsOf(clients), pageSize: 100 }, { familyPrefix: family, sort: "DESC" })) {
        out.push(...(page.taskDefinitionArns ?? []).map(taskDefinitionName).filter((n) => n.startsWith(`${family}:`)));
      }
      return out;
    },
    [clients, family],
    false,
  );
  const badCount = !/^\d+$/.test(desired);
  const submit = async () => {
    await run(`Service ${service.serviceName} could not be updated`, async () => {
      await ecsOf(clients).send(
        new UpdateServiceCommand({
          cluster: service.clusterArn,
          service: service.serviceName,
          desiredCount: Number(desired),
          taskDefinition: revision,
          forceNewDeployment: force,
        }),
      );
      notify({ type: "success", content: `Service ${service.serviceName} has been updated.` });
      onUpdated();
    });
  };
  return (
    <ActionModal
      header={`Update ${service.serviceName}`}
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} disabled={badCount} onClick={() => void submit()}>
          Update
        </Button>
      }
    >
      <SpaceBetween size="l">
        <FormField label="Task definition revision">
          <Select
            selectedOption={{ value: revision, label: revision }}
            options={(revisions.data ?? [revision]).map((r) => ({ value: r, label: r }))}
            statusType={revisions.loading ? "loading" : "finished"}
            onChange={(e) => setRevision(e.detail.selectedOption.value ?? revision)}
          />
        </FormField>
        <FormField label="Desired tasks" errorText={badCount ? "Enter a whole number of tasks." : undefined}>
          <Input value={desired} inputMode="numeric" onChange={(e) => setDesired(e.detail.value)} controlId="desired-count" />
        </FormField>
        <Checkbox checked={force} onChange={(e) => setForce(e.detail.checked)}>
          Force new deployment
        </Checkbox>
      </SpaceBetween>
    </ActionModal>
  );
}

