// A task: overview (its ENI's address), containers, and a logs tab that follows each
// container's awslogs stream; stop.
import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, StopTaskCommand, Task, TaskDefinition } from "@aws-sdk/client-ecs";
import { useApp, usePolled } from "../../lib/app-context";
import { clusterCrumbs, taskDefinitionRoute } from "../../lib/routes";
import { arnName, formatTime, taskDefinitionName } from "../../lib/status";
import { awslogsStream, taskAddresses } from "../../lib/tasks";
import { DetailHeader, DetailsPanel, Empty, LoadError, RouteLink, RouteTabs, State } from "../../components/common";
import { LogEvents } from "../logs/LogEvents";
import { ecsOf } from "../../lib/client-ecs";

export function TaskDetail({ cluster, task, tab }: { cluster: string; task: string; tab?: string }) {
  const { clients, notify, notifyError } = useApp();
  const described = usePolled(async () => {
    const r = await ecsOf(clients).send(new DescribeTasksCommand({ cluster, tasks: [task] }));
    const t = r.tasks?.[0];
    if (!t) throw Object.assign(new Error(`Task ${task} was not found in cluster ${cluster}.`), { name: "InvalidParameterException" });
    return t;
  }, [clients, cluster, task]);
  const t = described.data;
  const taskDef = usePolled(
    async () =>
      t?.taskDefinitionArn
        ? (await ecsOf(clients).send(new DescribeTaskDefinitionCommand({ taskDefinition: t.taskDefinitionArn }))).taskDefinition
        : undefined,
    [clients, t?.taskDefinitionArn],
    false,
  );
  const stop = async () => {
    try {
      await ecsOf(clients).send(new StopTaskCommand({ cluster, task, reason: "Task stopped in the wharf console" }));
      notify({ type: "success", content: `Task ${task} is stopping.` });
      described.reload();
    } catch (e) {
      notifyError(`Task ${task} could not be stopped`, e);
    }
  };
  const addresses = t ? taskAddresses(t) : {};
  const service = t?.group?.startsWith("service:") ? t.group.slice("service:".length) : undefined;

  return (
    <ContentLayout
      header={
        <DetailHeader
          crumbs={clusterCrumbs(cluster, ["Tasks", { page: "cluster", cluster, tab: "tasks" }], [task, { page: "task", cluster, task }])}
          actions={
            <Button disabled={!t || t.desiredStatus === "STOPPED"} onClick={() => void stop()}>
              Stop
            </Button>
          }
        >
          {task}
        </DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={described.error} what="the task" />
        <DetailsPanel
          title="Task overview"
          columns={4}
          items={[
            ["Last status", <State value={t?.lastStatus} />],
            ["Desired status", <State value={t?.desiredStatus} />],
            ["Health status", <State value={t?.healthStatus} />],
            ["Launch type", t?.launchType],
            ["Task definition: revision", t && <RouteLink to={taskDefinitionRoute(t.taskDefinitionArn)}>{taskDefinitionName(t.taskDefinitionArn)}</RouteLink>],
            ["Service", service && <RouteLink to={{ page: "service", cluster, service }}>{service}</RouteLink>],
            ["Private IP", addresses.privateIp],
            ["Public IP", addresses.publicIp],
            ["ENI ID", addresses.eni],
            ["Subnet ID", addresses.subnet],
            ["Task size", t ? `${t.cpu ?? "-"} CPU units, ${t.memory ?? "-"} MiB` : undefined],
            ["Created at", formatTime(t?.createdAt)],
            ["Started at", t?.startedAt ? formatTime(t.startedAt) : undefined],
            ["Stopped reason", t?.stoppedReason],
            ["Stop code", t?.stopCode],
            ["ARN", t?.taskArn],
          ]}
        />
        <RouteTabs
          activeTabId={tab ?? "containers"}
          route={(tab) => ({ page: "task", cluster, task, tab })}
          tabs={[
            { id: "containers", label: "Containers", content: <Containers task={t} loading={described.loading} /> },
            { id: "logs", label: "Logs", content: <TaskLogs task={t} taskDefinition={taskDef.data} /> },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}

function Containers({ task, loading }: { task: Task | undefined; loading: boolean }) {
  return (
    <Table
      loading={loading && !task}
      items={task?.containers ?? []}
      trackBy="name"
      header={<Header counter={task ? `(${task.containers?.length ?? 0})` : undefined}>Containers</Header>}
      empty={<Empty title="No containers" />}
      columnDefinitions={[
        { id: "name", header: "Container name", cell: (c) => c.name },
        { id: "image", header: "Image", cell: (c) => <Box variant="code">{c.image}</Box> },
        { id: "digest", header: "Image digest", cell: (c) => (c.imageDigest ? `${c.imageDigest.slice(0, 19)}…` : "-") },
        { id: "status", header: "Last status", cell: (c) => <State value={c.lastStatus} /> },
        { id: "health", header: "Health status", cell: (c) => <State value={c.healthStatus} /> },
        { id: "exit", header: "Exit code", cell: (c) => (c.exitCode === undefined ? "-" : c.exitCode) },
        { id: "reason", header: "Reason", cell: (c) => c.reason ?? "-" },
        {
          id: "ports",
          header: "Network bindings",
          cell: (c) =>
            (c.networkBindings ?? []).map((b) => `${b.bindIP ?? ""}:${b.hostPort} -> ${b.containerPort}/${b.protocol ?? "tcp"}`).join(", ") || "-",
        },
      ]}
    />
  );
}

function TaskLogs({ task, taskDefinition }: { task: Task | undefined; taskDefinition: TaskDefinition | undefined }) {
  const withLogs = (taskDefinition?.containerDefinitions ?? []).filter((c) => c.logConfiguration?.logDriver === "awslogs");
  const [chosen, setChosen] = useState<string | undefined>();
  if (!task || !taskDefinition) return <Box>Loading…</Box>;
  if (!withLogs.length) {
    return (
      <Container>
        <Box>No container of this task sends its logs to CloudWatch (the awslogs log driver).</Box>
      </Container>
    );
  }
  const name = chosen ?? withLogs[0].name ?? "";
  const def = withLogs.find((c) => c.name === name) ?? withLogs[0];
  const where = awslogsStream(def, arnName(task.taskArn));
  return (
    <SpaceBetween size="s">
      {withLogs.length > 1 && (
        <SegmentedControl
          label="Container"
          selectedId={name}
          onChange={(e) => setChosen(e.detail.selectedId)}
          options={withLogs.map((c) => ({ id: c.name ?? "", text: c.name ?? "" }))}
        />
      )}
      {where ? (
        <LogEvents group={where.group} stream={where.stream} follow title={`Logs: ${def.name}`} />
      ) : (
        <Container>
          <Box>The container's awslogs options name no log group.</Box>
        </Container>
      )}
    </SpaceBetween>
  );
}
