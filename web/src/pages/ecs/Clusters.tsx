// Clusters: list, create (name and infrastructure, as the AWS console asks) and delete.
import { useState } from "react";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import Box from "@cloudscape-design/components/box";
import {
  Cluster,
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  paginateListClusters,
} from "@aws-sdk/client-ecs";
import { useApp, usePolled } from "../../lib/app-context";
import { counterOf, Empty, LoadError, ModalFooter, RouteLink, State } from "../../components/common";
import { ConfirmDeleteModal } from "../../components/ConfirmDelete";
import type { Clients } from "../../lib/clients";
import { ecsOf } from "../../lib/client-ecs";

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
  const [selected, setSelected] = useState<Cluster[]>([]);
  const [filter, setFilter] = useState("");
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Cluster | undefined>();
  const items = (clusters.data ?? []).filter((c) => (c.clusterName ?? "").includes(filter));

  return (
    <SpaceBetween size="l">
      <LoadError error={clusters.error} what="clusters" />
      <Table
        variant="full-page"
        loading={clusters.loading && !clusters.data}
        loadingText="Loading clusters"
        items={items}
        trackBy="clusterArn"
        selectionType="single"
        selectedItems={selected}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
        ariaLabels={{
          selectionGroupLabel: "Clusters",
          itemSelectionLabel: (_, c) => c.clusterName ?? "",
          allItemsSelectionLabel: () => "all",
        }}
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={counterOf(clusters.data)}
            description="A cluster groups the services and tasks that run on your Fargate capacity and container instances."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel="Refresh" onClick={clusters.reload} />
                <Button disabled={selected.length !== 1} onClick={() => setDeleting(selected[0])}>
                  Delete cluster
                </Button>
                <Button variant="primary" onClick={() => setCreating(true)}>
                  Create cluster
                </Button>
              </SpaceBetween>
            }
          >
            Clusters
          </Header>
        }
        filter={<TextFilter filteringText={filter} filteringPlaceholder="Find clusters" onChange={(e) => setFilter(e.detail.filteringText)} />}
        empty={<Empty title="No clusters">No clusters to display.</Empty>}
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
      {creating && (
        <CreateClusterModal
          onClose={() => setCreating(false)}
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
              setCreating(false);
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
        <DeleteClusterModal
          cluster={deleting}
          onClose={() => setDeleting(undefined)}
          onDelete={async () => {
            const name = deleting.clusterName ?? "";
            try {
              await ecsOf(clients).send(new DeleteClusterCommand({ cluster: deleting.clusterArn }));
              notify({ type: "success", content: `Cluster ${name} has been deleted.` });
              setSelected([]);
              clusters.reload();
            } catch (e) {
              notifyError(`Cluster ${name} could not be deleted`, e);
            }
            setDeleting(undefined);
          }}
        />
      )}
    </SpaceBetween>
  );
}

function CreateClusterModal({ onClose, onCreate }: { onClose: () => void; onCreate: (name: string, fargate: boolean) => Promise<void> }) {
  const [name, setName] = useState("");
  const [fargate, setFargate] = useState(true);
  const [busy, setBusy] = useState(false);
  const invalid = name !== "" && !/^[A-Za-z0-9_-]{1,255}$/.test(name);
  const submit = async () => {
    if (!name || invalid) return;
    setBusy(true);
    await onCreate(name, fargate);
    setBusy(false);
  };
  return (
    <Modal
      visible
      onDismiss={onClose}
      header="Create cluster"
      footer={
        <ModalFooter onCancel={onClose}>
          <Button variant="primary" loading={busy} disabled={!name || invalid} onClick={() => void submit()}>
            Create
          </Button>
        </ModalFooter>
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
    </Modal>
  );
}

function DeleteClusterModal({ cluster, onClose, onDelete }: { cluster: Cluster; onClose: () => void; onDelete: () => Promise<void> }) {
  return (
    <ConfirmDeleteModal
      title="Delete cluster"
      what={cluster.clusterName ?? ""}
      phrase={`delete ${cluster.clusterName}`}
      onClose={onClose}
      onDelete={onDelete}
    >
      {(cluster.activeServicesCount ?? 0) > 0 && (
        <Box color="text-status-warning">This cluster still has services: delete them first.</Box>
      )}
    </ConfirmDeleteModal>
  );
}
