// Task definitions: families, a family's revisions, one revision (containers, JSON view,
// deregister), as the AWS console shows them.
import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ButtonDropdown from "@cloudscape-design/components/button-dropdown";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  paginateListTaskDefinitionFamilies,
  paginateListTaskDefinitions,
} from "@aws-sdk/client-ecs";
import { useApp, usePolled } from "../../lib/app-context";
import { formatTime, taskDefinitionName } from "../../lib/status";
import { jsonForRevision } from "../../lib/taskdef";
import { counterOf, DetailHeader, DetailsPanel, Empty, LoadError, RouteLink, RouteTabs, State } from "../../components/common";
import { ecsOf } from "../../lib/client-ecs";

export function TaskDefinitions() {
  const { clients, go } = useApp();
  const [filter, setFilter] = useState("");
  const families = usePolled(async () => {
    const out: string[] = [];
    for await (const page of paginateListTaskDefinitionFamilies({ client: ecsOf(clients), pageSize: 100 }, { status: "ACTIVE" })) {
      out.push(...(page.families ?? []));
    }
    return out.sort();
  }, [clients]);
  const items = (families.data ?? []).filter((f) => f.includes(filter)).map((family) => ({ family }));
  return (
    <SpaceBetween size="l">
      <LoadError error={families.error} what="task definitions" />
      <Table
        variant="full-page"
        loading={families.loading && !families.data}
        loadingText="Loading task definitions"
        items={items}
        trackBy="family"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={counterOf(families.data)}
            description="A task definition says which containers a task runs, with their images, ports, CPU and memory."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel="Refresh" onClick={families.reload} />
                <ButtonDropdown
                  variant="primary"
                  mainAction={{ text: "Create new task definition", onClick: () => go({ page: "create-task-definition", mode: "form" }) }}
                  items={[{ id: "json", text: "Create new task definition with JSON" }]}
                  onItemClick={() => go({ page: "create-task-definition", mode: "json" })}
                  ariaLabel="More ways to create"
                />
              </SpaceBetween>
            }
          >
            Task definitions
          </Header>
        }
        filter={<TextFilter filteringText={filter} filteringPlaceholder="Find task definitions" onChange={(e) => setFilter(e.detail.filteringText)} />}
        empty={<Empty title="No task definitions">No task definitions to display.</Empty>}
        columnDefinitions={[
          {
            id: "family",
            header: "Task definition",
            cell: (i) => <RouteLink to={{ page: "task-definition-family", family: i.family }}>{i.family}</RouteLink>,
          },
          { id: "status", header: "Status of last revision", cell: () => <State value="ACTIVE" /> },
        ]}
      />
    </SpaceBetween>
  );
}

export function TaskDefinitionFamily({ family }: { family: string }) {
  const { clients } = useApp();
  const revisions = usePolled(async () => {
    const out: string[] = [];
    for await (const page of paginateListTaskDefinitions({ client: ecsOf(clients), pageSize: 100 }, { familyPrefix: family, sort: "DESC" })) {
      out.push(...(page.taskDefinitionArns ?? []));
    }
    // familyPrefix matches families that start with the name: keep this family's own.
    return out.filter((arn) => taskDefinitionName(arn).replace(/:\d+$/, "") === family);
  }, [clients, family]);
  return (
    <ContentLayout
      header={
        <DetailHeader crumbs={[["Task definitions", { page: "task-definitions" }], [family, { page: "task-definition-family", family }]]}>{family}</DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={revisions.error} what="revisions" />
        <Table
          loading={revisions.loading && !revisions.data}
          items={(revisions.data ?? []).map((arn) => ({ arn }))}
          trackBy="arn"
          header={<Header counter={counterOf(revisions.data)}>Revisions</Header>}
          empty={<Empty title="No active revisions" />}
          columnDefinitions={[
            {
              id: "rev",
              header: "Task definition: revision",
              cell: (i) => {
                const name = taskDefinitionName(i.arn);
                return <RouteLink to={{ page: "task-definition", family, revision: name.split(":").pop() ?? "" }}>{name}</RouteLink>;
              },
            },
            { id: "status", header: "Status", cell: () => <State value="ACTIVE" /> },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}

export function TaskDefinitionRevision({ family, revision, tab }: { family: string; revision: string; tab?: string }) {
  const { clients, notify, notifyError, go } = useApp();
  const td = usePolled(
    async () => (await ecsOf(clients).send(new DescribeTaskDefinitionCommand({ taskDefinition: `${family}:${revision}`, include: ["TAGS"] }))).taskDefinition,
    [clients, family, revision],
    false,
  );
  const t = td.data;
  const deregister = async () => {
    try {
      await ecsOf(clients).send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${family}:${revision}` }));
      notify({ type: "success", content: `Task definition ${family}:${revision} has been deregistered.` });
      td.reload();
    } catch (e) {
      notifyError(`Task definition ${family}:${revision} could not be deregistered`, e);
    }
  };
  return (
    <ContentLayout
      header={
        <DetailHeader
          crumbs={[
            ["Task definitions", { page: "task-definitions" }],
            [family, { page: "task-definition-family", family }],
            [`Revision ${revision}`, { page: "task-definition", family, revision }],
          ]}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button disabled={t?.status !== "ACTIVE"} onClick={() => void deregister()}>
                Deregister
              </Button>
              <Button
                disabled={!t}
                onClick={() => {
                  if (t) sessionStorage.setItem("wharf.console.draft-task-definition", jsonForRevision(t));
                  go({ page: "create-task-definition", mode: "json" });
                }}
              >
                Create new revision
              </Button>
            </SpaceBetween>
          }
        >
          {family}:{revision}
        </DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={td.error} what="the task definition" />
        <DetailsPanel
          title="Overview"
          columns={4}
          items={[
            ["ARN", t?.taskDefinitionArn],
            ["Status", <State value={t?.status} />],
            ["App environment", t?.requiresCompatibilities?.join(", ")],
            ["Operating system/Architecture", t?.runtimePlatform ? `${t.runtimePlatform.operatingSystemFamily ?? "LINUX"}/${t.runtimePlatform.cpuArchitecture ?? "X86_64"}` : "Linux/X86_64"],
            ["Network mode", t?.networkMode],
            ["Task size", t ? `${t.cpu ?? "-"} CPU units, ${t.memory ?? "-"} MiB memory` : undefined],
            ["Task role", t?.taskRoleArn],
            ["Task execution role", t?.executionRoleArn],
            ["Registered at", formatTime(t?.registeredAt)],
          ]}
        />
        <RouteTabs
          activeTabId={tab ?? "containers"}
          route={(tab) => ({ page: "task-definition", family, revision, tab })}
          tabs={[
            {
              id: "containers",
              label: "Containers",
              content: (
                <Table
                  items={t?.containerDefinitions ?? []}
                  trackBy="name"
                  loading={td.loading && !t}
                  header={<Header>Containers</Header>}
                  columnDefinitions={[
                    { id: "name", header: "Container name", cell: (c) => c.name },
                    { id: "image", header: "Image", cell: (c) => <Box variant="code">{c.image}</Box> },
                    { id: "essential", header: "Essential container", cell: (c) => (c.essential === false ? "No" : "Yes") },
                    {
                      id: "ports",
                      header: "Port mappings",
                      cell: (c) => (c.portMappings ?? []).map((p) => `${p.containerPort}/${p.protocol ?? "tcp"}`).join(", ") || "-",
                    },
                    { id: "logs", header: "Log driver", cell: (c) => c.logConfiguration?.logDriver ?? "-" },
                    {
                      id: "health",
                      header: "Health check",
                      cell: (c) => (c.healthCheck?.command ? c.healthCheck.command.join(" ") : "-"),
                    },
                  ]}
                />
              ),
            },
            {
              id: "json",
              label: "JSON",
              content: (
                <Container>
                  <pre style={{ margin: 0, whiteSpace: "pre-wrap", wordBreak: "break-word", fontSize: 13 }} data-testid="task-definition-json">
                    {t ? JSON.stringify(t, null, 2) : ""}
                  </pre>
                </Container>
              ),
            },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}
