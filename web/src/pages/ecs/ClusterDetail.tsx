// A cluster: its services, tasks and infrastructure (container instances with the CPU and
// memory they registered and have left).
import { useEffect, useMemo, useState } from "react";
import Button from "@cloudscape-design/components/button";
import CollectionPreferences from "@cloudscape-design/components/collection-preferences";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Tabs from "@cloudscape-design/components/tabs";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import {
  ContainerInstance,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  DesiredStatus,
  paginateListContainerInstances,
  paginateListServices,
  paginateListTasks,
  Service,
  StopTaskCommand,
  Task,
} from "@aws-sdk/client-ecs";
import { useApp, usePolled } from "../../lib/app-context";
import type { Clients } from "../../lib/clients";
import { formatRoute } from "../../lib/routes";
import { arnName, formatTime, taskDefinitionName } from "../../lib/status";
import { counterOf, DetailHeader, DetailsPanel, Empty, LoadError, RouteLink, State } from "../../components/common";
import { RunTaskModal } from "./RunTask";
import { ecsOf } from "../../lib/client-ecs";
import { loadTaskPage, PageTokens, taskCounter } from "../../lib/task-pages";

export async function listServices(clients: Clients, cluster: string): Promise<Service[]> {
  const arns: string[] = [];
  for await (const page of paginateListServices({ client: ecsOf(clients), pageSize: 100 }, { cluster })) arns.push(...(page.serviceArns ?? []));
  // DescribeServices takes 10 at a time: the batches go out together.
  const batches = [];
  for (let i = 0; i < arns.length; i += 10) {
    batches.push(ecsOf(clients).send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) })));
  }
  const out = (await Promise.all(batches)).flatMap((r) => r.services ?? []);
  return out.sort((a, b) => (a.serviceName ?? "").localeCompare(b.serviceName ?? ""));
}

export async function listTasks(
  clients: Clients,
  cluster: string,
  filter: { desiredStatus?: DesiredStatus; serviceName?: string } = {},
): Promise<Task[]> {
  const arns: string[] = [];
  for await (const page of paginateListTasks({ client: ecsOf(clients), pageSize: 100 }, { cluster, ...filter })) arns.push(...(page.taskArns ?? []));
  const batches = [];
  for (let i = 0; i < arns.length; i += 100) {
    batches.push(ecsOf(clients).send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) })));
  }
  const out = (await Promise.all(batches)).flatMap((r) => r.tasks ?? []);
  return out.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
}

async function listContainerInstances(clients: Clients, cluster: string): Promise<ContainerInstance[]> {
  const arns: string[] = [];
  for await (const page of paginateListContainerInstances({ client: ecsOf(clients), pageSize: 100 }, { cluster })) {
    arns.push(...(page.containerInstanceArns ?? []));
  }
  if (!arns.length) return [];
  const r = await ecsOf(clients).send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }));
  return r.containerInstances ?? [];
}

export function ClusterDetail({ cluster, tab }: { cluster: string; tab?: string }) {
  const { clients } = useApp();
  const info = usePolled(async () => {
    const r = await ecsOf(clients).send(new DescribeClustersCommand({ clusters: [cluster] }));
    if (r.failures?.length && !r.clusters?.length) {
      throw Object.assign(new Error(`Cluster ${cluster} ${r.failures[0].reason === "MISSING" ? "was not found" : r.failures[0].reason}.`), {
        name: "ClusterNotFoundException",
      });
    }
    return r.clusters?.[0];
  }, [clients, cluster]);
  const c = info.data;
  const active = tab ?? "services";

  return (
    <ContentLayout
      header={
        <DetailHeader crumbs={[["Clusters", { page: "clusters" }], [cluster, { page: "cluster", cluster }]]}>{cluster}</DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={info.error} what="the cluster" />
        <DetailsPanel
          title="Cluster overview"
          columns={4}
          items={[
            ["ARN", c?.clusterArn],
            ["Status", <State value={c?.status} />],
            ["Services", c ? String(c.activeServicesCount ?? 0) : undefined],
            [
              "Tasks",
              c ? `${c.pendingTasksCount ?? 0} Pending | ${c.runningTasksCount ?? 0} Running` : undefined,
            ],
            ["Registered container instances", c ? String(c.registeredContainerInstancesCount ?? 0) : undefined],
            ["Capacity providers", c?.capacityProviders?.join(", ")],
          ]}
        />
        <Tabs
          activeTabId={active}
          onChange={(e) => (window.location.hash = formatRoute({ page: "cluster", cluster, tab: e.detail.activeTabId }))}
          tabs={[
            { id: "services", label: "Services", content: <ServicesTab cluster={cluster} /> },
            {
              id: "tasks",
              label: "Tasks",
              content: (
                <TasksTab
                  cluster={cluster}
                  counts={c ? { running: c.runningTasksCount ?? 0, pending: c.pendingTasksCount ?? 0 } : undefined}
                />
              ),
            },
            { id: "infrastructure", label: "Infrastructure", content: <InfrastructureTab cluster={cluster} /> },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}

function ServicesTab({ cluster }: { cluster: string }) {
  const { clients, go } = useApp();
  const services = usePolled(() => listServices(clients, cluster), [clients, cluster]);
  return (
    <SpaceBetween size="s">
      <LoadError error={services.error} what="services" />
      <Table
        loading={services.loading && !services.data}
        loadingText="Loading services"
        items={services.data ?? []}
        trackBy="serviceArn"
        header={
          <Header
            counter={counterOf(services.data)}
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel="Refresh services" onClick={services.reload} />
                <Button variant="primary" onClick={() => go({ page: "create-service", cluster })}>
                  Create
                </Button>
              </SpaceBetween>
            }
          >
            Services
          </Header>
        }
        empty={<Empty title="No services">No services to display.</Empty>}
        columnDefinitions={[
          {
            id: "name",
            header: "Service name",
            cell: (s) => <RouteLink to={{ page: "service", cluster, service: s.serviceName ?? "" }}>{s.serviceName}</RouteLink>,
          },
          { id: "status", header: "Status", cell: (s) => <State value={s.status} /> },
          {
            id: "deployments",
            header: "Deployments and tasks",
            cell: (s) => `${s.runningCount ?? 0}/${s.desiredCount ?? 0} Tasks running`,
          },
          { id: "rollout", header: "Last deployment", cell: (s) => <State value={s.deployments?.[0]?.rolloutState} /> },
          { id: "taskdef", header: "Task definition", cell: (s) => taskDefinitionName(s.taskDefinition) },
          { id: "launch", header: "Launch type", cell: (s) => s.launchType ?? "-" },
        ]}
      />
    </SpaceBetween>
  );
}

export function TasksTable({
  cluster,
  tasks,
  loading,
  reload,
  title = "Tasks",
  actions,
  counter,
  pagination,
  preferences,
}: {
  cluster: string;
  tasks: Task[] | undefined;
  loading: boolean;
  reload: () => void;
  title?: string;
  actions?: React.ReactNode;
  counter?: string; // a paged table's: its rows are not all the tasks
  pagination?: React.ReactNode;
  preferences?: React.ReactNode;
}) {
  const { clients, notify, notifyError } = useApp();
  const [selected, setSelected] = useState<Task[]>([]);
  const stop = async () => {
    for (const t of selected) {
      try {
        await ecsOf(clients).send(new StopTaskCommand({ cluster, task: t.taskArn, reason: "Task stopped in the wharf console" }));
        notify({ type: "success", content: `Task ${arnName(t.taskArn)} is stopping.` });
      } catch (e) {
        notifyError(`Task ${arnName(t.taskArn)} could not be stopped`, e);
      }
    }
    setSelected([]);
    reload();
  };
  return (
    <Table
      loading={loading && !tasks}
      loadingText="Loading tasks"
      items={tasks ?? []}
      trackBy="taskArn"
      selectionType="multi"
      selectedItems={selected}
      onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
      ariaLabels={{
        selectionGroupLabel: "Tasks",
        itemSelectionLabel: (_, t) => arnName(t.taskArn),
        allItemsSelectionLabel: () => "all tasks",
      }}
      header={
        <Header
          counter={counter ?? (tasks ? `(${tasks.length})` : undefined)}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              {actions}
              <Button iconName="refresh" ariaLabel="Refresh tasks" onClick={reload} />
              <Button disabled={!selected.length} onClick={() => void stop()}>
                Stop
              </Button>
            </SpaceBetween>
          }
        >
          {title}
        </Header>
      }
      empty={<Empty title="No tasks">No tasks to display.</Empty>}
      pagination={pagination}
      preferences={preferences}
      columnDefinitions={[
        {
          id: "task",
          header: "Task",
          cell: (t) => <RouteLink to={{ page: "task", cluster, task: arnName(t.taskArn) }}>{arnName(t.taskArn)}</RouteLink>,
        },
        { id: "last", header: "Last status", cell: (t) => <State value={t.lastStatus} /> },
        { id: "desired", header: "Desired status", cell: (t) => <State value={t.desiredStatus} /> },
        { id: "taskdef", header: "Task definition", cell: (t) => taskDefinitionName(t.taskDefinitionArn) },
        { id: "health", header: "Health status", cell: (t) => <State value={t.healthStatus} /> },
        { id: "group", header: "Started by", cell: (t) => t.group ?? t.startedBy ?? "-" },
        { id: "launch", header: "Launch type", cell: (t) => t.launchType ?? "-" },
        { id: "created", header: "Created at", cell: (t) => formatTime(t.createdAt) },
      ]}
    />
  );
}

function TasksTab({ cluster, counts }: { cluster: string; counts?: { running: number; pending: number } }) {
  const { clients } = useApp();
  const [status, setStatus] = useState<DesiredStatus>("RUNNING");
  const [pageSize, setPageSize] = useState(10);
  const [page, setPage] = useState(1);
  const [running, setRunning] = useState(false);
  // Page tokens belong to one listing: a new filter or page size starts again at page 1.
  const tokens = useMemo(() => new PageTokens(), [clients, cluster, status, pageSize]);
  const tasks = usePolled(async () => {
    const filter = { desiredStatus: status };
    const at = tokens.known(page) ? { page, token: tokens.token(page) } : await tokens.walk(ecsOf(clients), cluster, filter, pageSize, page);
    const loaded = await loadTaskPage(ecsOf(clients), cluster, filter, pageSize, at.token);
    tokens.learn(at.page, loaded.nextToken);
    return { ...loaded, asked: page, page: at.page, pageSize };
  }, [clients, cluster, status, page, pageSize, tokens]);
  // Rows of another page or size than asked for are not shown while the asked one loads.
  const current = tasks.data && tasks.data.page === page && tasks.data.pageSize === pageSize ? tasks.data : undefined;
  useEffect(() => {
    // A page asked for past the last one there is: the last one is shown, and selected.
    const d = tasks.data;
    if (d && d.asked === page && d.page !== page && d.pageSize === pageSize) setPage(d.page);
  }, [tasks.data, page, pageSize]);
  const clusterCount = status === "RUNNING" && counts ? counts.running + counts.pending : undefined;
  const last = tokens.lastPage();
  const counted = current ? taskCounter(page, pageSize, current.tasks.length, last, clusterCount) : clusterCount !== undefined ? `(${clusterCount})` : undefined;
  const pagesCount = Math.max(page, last ?? (clusterCount !== undefined ? Math.ceil(clusterCount / pageSize) : tokens.reachable()), 1);
  return (
    <SpaceBetween size="s">
      <LoadError error={tasks.error} what="tasks" />
      <SegmentedControl
        selectedId={status}
        label="Desired status"
        onChange={(e) => {
          setStatus(e.detail.selectedId as DesiredStatus);
          setPage(1);
        }}
        options={[
          { id: "RUNNING", text: "Running" },
          { id: "PENDING", text: "Pending" },
          { id: "STOPPED", text: "Stopped" },
        ]}
      />
      <TasksTable
        cluster={cluster}
        tasks={current?.tasks}
        loading={!current}
        reload={tasks.reload}
        counter={counted}
        pagination={
          <Pagination
            currentPageIndex={page}
            pagesCount={pagesCount}
            openEnd={last === undefined && clusterCount === undefined}
            onChange={(e) => setPage(e.detail.currentPageIndex)}
            ariaLabels={{ nextPageLabel: "Next page", previousPageLabel: "Previous page", pageLabel: (n) => `Page ${n} of all pages` }}
          />
        }
        preferences={
          <CollectionPreferences
            title="Preferences"
            confirmLabel="Confirm"
            cancelLabel="Cancel"
            preferences={{ pageSize }}
            pageSizePreference={{
              title: "Page size",
              options: [10, 25, 50, 100].map((n) => ({ value: n, label: `${n} tasks` })),
            }}
            onConfirm={(e) => {
              setPageSize(e.detail.pageSize ?? 10);
              setPage(1);
            }}
          />
        }
        actions={<Button onClick={() => setRunning(true)}>Run new task</Button>}
      />
      {running && (
        <RunTaskModal
          cluster={cluster}
          onClose={() => setRunning(false)}
          onStarted={() => {
            setRunning(false);
            tasks.reload();
          }}
        />
      )}
    </SpaceBetween>
  );
}

function InfrastructureTab({ cluster }: { cluster: string }) {
  const { clients } = useApp();
  const instances = usePolled(() => listContainerInstances(clients, cluster), [clients, cluster]);
  const resource = (ci: ContainerInstance, which: "registeredResources" | "remainingResources", name: string) =>
    ci[which]?.find((r) => r.name === name)?.integerValue;
  return (
    <SpaceBetween size="s">
      <LoadError error={instances.error} what="container instances" />
      <Table
        loading={instances.loading && !instances.data}
        loadingText="Loading container instances"
        items={instances.data ?? []}
        trackBy="containerInstanceArn"
        header={<Header counter={counterOf(instances.data)}>Container instances</Header>}
        empty={<Empty title="No container instances">Fargate tasks need none.</Empty>}
        columnDefinitions={[
          { id: "id", header: "Container instance", cell: (ci) => arnName(ci.containerInstanceArn) },
          { id: "ec2", header: "EC2 instance", cell: (ci) => ci.ec2InstanceId ?? "-" },
          { id: "status", header: "Status", cell: (ci) => <State value={ci.status} /> },
          { id: "agent", header: "Agent connected", cell: (ci) => (ci.agentConnected ? "Yes" : "No") },
          { id: "running", header: "Running tasks", cell: (ci) => ci.runningTasksCount ?? 0 },
          {
            id: "cpu",
            header: "CPU available / registered",
            cell: (ci) => `${resource(ci, "remainingResources", "CPU") ?? "-"} / ${resource(ci, "registeredResources", "CPU") ?? "-"}`,
          },
          {
            id: "memory",
            header: "Memory available / registered (MiB)",
            cell: (ci) =>
              `${resource(ci, "remainingResources", "MEMORY") ?? "-"} / ${resource(ci, "registeredResources", "MEMORY") ?? "-"}`,
          },
        ]}
      />
    </SpaceBetween>
  );
}
