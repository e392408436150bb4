// Clusters: list, create (name and infrastructure, as the AWS console asks) and delete.
import { useState } from "react";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Box from "@cloudscape-design/components/box";
import {
  Cluster,
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  paginateListClusters,
} from "@aws-sdk/client-ecs";
import { useApp, usePolled } from "../../lib/app-context";
import { ActionModal, LoadError, RouteLink, State } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { ResourceTable, useListState } from "../../components/ResourceTable";
import type { Clients } from "../../lib/clients";
import { ecsOf } from "../../lib/client-ecs";
import { useBusy } from "../../lib/actions";

export async function listClusters(clients: Clients): Promise<Cluster[]> {
  const arns: string[] = [];
  for await (const page of paginateListClusters({ client: ecsOf(clients), pageSize: 100 }, {})) arns.push(...(page.clusterArns ?? []));
  const out: Cluster[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const r = await ecsOf(clients).send(new DescribeClustersCommand({ clusters: arns.slice(i, i + 100) }));
    out.push(...(r.clusters ?? []));
  }
  return out.sort((a, b) => (a.clusterName ?? "").localeCompare(b.clusterName ?? ""));
}

export function Clusters() {
  const { clients, notify, notifyError, go } = useApp();
  const clusters = usePolled(() => listClusters(clients), [clients]);
  const list = useListState<Cluster>();
  const deleting = list.deleting;

  return (
    <SpaceBetween size="l">
      <LoadError error={clusters.error} what="clusters" />
      <ResourceTable
        title="Clusters"
        description="A cluster groups the services and tasks that run on your Fargate capacity and container instances."
        list={clusters}
        state={list}
        loadingText="Loading clusters"
        trackBy="clusterArn"
        nameOf={(c) => c.clusterName ?? ""}
        deleteLabel="Delete cluster"
        createLabel="Create cluster"
        filterText={(c) => c.clusterName ?? ""}
        filterPlaceholder="Find clusters"
        emptyTitle="No clusters"
        emptyDescription="No clusters to display."
        columnDefinitions={[
          {
            id: "name",
            header: "Cluster",
            cell: (c) => <RouteLink to={{ page: "cluster", cluster: c.clusterName ?? "" }}>{c.clusterName}</RouteLink>,
            sortingField: "clusterName",
          },
          { id: "status", header: "Status", cell: (c) => <State value={c.status} /> },
          { id: "services", header: "Services", cell: (c) => c.activeServicesCount ?? 0 },
          {
            id: "tasks",
            header: "Tasks",
            cell: (c) => `${c.pendingTasksCount ?? 0} Pending | ${c.runningTasksCount ?? 0} Running`,
          },
          { id: "instances", header: "Container instances", cell: (c) => c.registeredContainerInstancesCount ?? 0 },
          {
            id: "providers",
            header: "Capacity providers",
            cell: (c) => (c.capacityProviders?.length ? c.capacityProviders.join(", ") : "No default found"),
          },
        ]}
      />
      {list.creating && (
        <CreateClusterModal
          onClose={() => list.setCreating(false)}
          onCreate={async (name, fargate) => {
            try {
              // CreateCluster is idempotent: it would answer with the existing cluster. The
              // AWS console refuses a name in use instead, and so does this one.
              const existing = await ecsOf(clients).send(new DescribeClustersCommand({ clusters: [name] }));
              if (existing.clusters?.some((c) => c.status === "ACTIVE")) {
                notify({
                  type: "error",
                  header: `Cluster ${name} could not be created`,
                  content: `A cluster named ${name} already exists in ${clients.region}. Choose another name.`,
                });
                return;
              }
              await ecsOf(clients).send(
                new CreateClusterCommand({
                  clusterName: name,
                  ...(fargate ? { capacityProviders: ["FARGATE", "FARGATE_SPOT"] } : {}),
                }),
              );
              list.setCreating(false);
              notify({ type: "success", content: `Cluster ${name} has been created successfully.` });
              clusters.reload();
              go({ page: "cluster", cluster: name });
            } catch (e) {
              notifyError(`Cluster ${name} could not be created`, e);
            }
          }}
        />
      )}
      {deleting && (
        <DeleteResourceModal
          title="Delete cluster"
          kind="Cluster"
          name={deleting.clusterName ?? ""}
          phrase={`delete ${deleting.clusterName}`}
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => ecsOf(clients).send(new DeleteClusterCommand({ cluster: deleting.clusterArn }))}
          onDeleted={() => list.deleted(clusters)}
        >
          {(deleting.activeServicesCount ?? 0) > 0 && <Box color="text-status-warning">This cluster still has services: delete them first.</Box>}
        </DeleteResourceModal>
      )}
    </SpaceBetween>
  );
}

function CreateClusterModal({ onClose, onCreate }: { onClose: () => void; onCreate: (name: string, fargate: boolean) => Promise<void> }) {
  const [name, setName] = useState("");
  const [fargate, setFargate] = useState(true);
  const [busy, whileBusy] = useBusy();
  const invalid = name !== "" && !/^[A-Za-z0-9_-]{1,255}$/.test(name);
  const submit = async () => {
    if (!name || invalid) return;
    await whileBusy(() => onCreate(name, fargate));
  };
  return (
    <ActionModal
      header="Create cluster"
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} disabled={!name || invalid} onClick={() => void submit()}>
          Create
        </Button>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Form>
          <SpaceBetween size="l">
            <FormField
              label="Cluster name"
              constraintText="Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed."
              errorText={invalid ? "The cluster name has characters that are not allowed." : undefined}
            >
              <Input value={name} onChange={(e) => setName(e.detail.value)} autoFocus controlId="cluster-name" />
            </FormField>
            <FormField label="Infrastructure" description="Fargate runs tasks without container instances to manage.">
              <Checkbox checked={fargate} onChange={(e) => setFargate(e.detail.checked)}>
                AWS Fargate (serverless)
              </Checkbox>
            </FormField>
          </SpaceBetween>
        </Form>
      </form>
    </ActionModal>
  );
}
