// ECR: private repositories (create with tag mutability, encryption and scan on push;
// delete), a repository's images with tags, digests, sizes and push times, and "View push
// commands" with the exact commands for this endpoint.
import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ContentLayout from "@cloudscape-design/components/content-layout";
import CopyToClipboard from "@cloudscape-design/components/copy-to-clipboard";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import RadioGroup from "@cloudscape-design/components/radio-group";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Tabs from "@cloudscape-design/components/tabs";
import Toggle from "@cloudscape-design/components/toggle";
import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  ImageDetail,
  paginateDescribeImages,
  paginateDescribeRepositories,
  Repository,
} from "@aws-sdk/client-ecr";
import { useApp, usePolled } from "../../lib/app-context";
import { pushCommands } from "../../lib/ecr";
import { formatBytes, formatTime } from "../../lib/status";
import { ActionModal, counterOf, DetailHeader, DetailsPanel, Empty, LoadError, RouteLink } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { ResourceTable, useListState } from "../../components/ResourceTable";
import { LifecyclePolicy } from "./LifecyclePolicy";
import { ecrOf } from "../../lib/client-ecr";
import { useAction } from "../../lib/actions";

export function Repositories() {
  const { clients } = useApp();
  const list = useListState<Repository>();
  const [pushFor, setPushFor] = useState<Repository | undefined>();
  const repos = usePolled(async () => {
    const out: Repository[] = [];
    for await (const p of paginateDescribeRepositories({ client: ecrOf(clients) }, {})) out.push(...(p.repositories ?? []));
    return out.sort((a, b) => (a.repositoryName ?? "").localeCompare(b.repositoryName ?? ""));
  }, [clients]);
  const selected = list.selected;
  const deleting = list.deleting;
  return (
    <SpaceBetween size="l">
      <LoadError error={repos.error} what="repositories" />
      <ResourceTable
        title="Repositories"
        list={repos}
        state={list}
        trackBy="repositoryArn"
        nameOf={(r) => r.repositoryName ?? ""}
        actions={
          <Button disabled={selected.length !== 1} onClick={() => setPushFor(selected[0])}>
            View push commands
          </Button>
        }
        deleteLabel="Delete"
        createLabel="Create repository"
        filterText={(r) => r.repositoryName ?? ""}
        filterPlaceholder="Find repositories"
        emptyTitle="No repositories"
        columnDefinitions={[
          {
            id: "name",
            header: "Repository name",
            cell: (r) => <RouteLink to={{ page: "repository", repository: r.repositoryName ?? "" }}>{r.repositoryName}</RouteLink>,
          },
          { id: "uri", header: "URI", cell: (r) => <CopyToClipboard variant="inline" textToCopy={r.repositoryUri ?? ""} copyButtonAriaLabel="Copy URI" copySuccessText="URI copied" copyErrorText="URI could not be copied" /> },
          { id: "created", header: "Created at", cell: (r) => formatTime(r.createdAt) },
          { id: "mutability", header: "Tag immutability", cell: (r) => (r.imageTagMutability === "IMMUTABLE" ? "Enabled" : "Disabled") },
          { id: "scan", header: "Scan on push", cell: (r) => (r.imageScanningConfiguration?.scanOnPush ? "Enabled" : "Disabled") },
          { id: "encryption", header: "Encryption type", cell: (r) => r.encryptionConfiguration?.encryptionType ?? "AES256" },
        ]}
      />
      {list.creating && (
        <CreateRepositoryModal
          onClose={() => list.setCreating(false)}
          onCreated={() => list.created(repos)}
        />
      )}
      {pushFor && <PushCommandsModal repository={pushFor} onClose={() => setPushFor(undefined)} />}
      {deleting && (
        <DeleteResourceModal
          title="Delete repository"
          kind="Repository"
          name={deleting.repositoryName ?? ""}
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => ecrOf(clients).send(new DeleteRepositoryCommand({ repositoryName: deleting.repositoryName, force: true }))}
          onDeleted={() => list.deleted(repos)}
        >
          <Box>Its images are deleted with it.</Box>
        </DeleteResourceModal>
      )}
    </SpaceBetween>
  );
}

function CreateRepositoryModal({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const { clients, notify } = useApp();
  const [name, setName] = useState("");
  const [mutability, setMutability] = useState("MUTABLE");
  const [encryption, setEncryption] = useState("AES256");
  const [scan, setScan] = useState(false);
  const [busy, run] = useAction();
  const invalid = name !== "" && !/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name);
  const submit = async () => {
    await run(`Repository ${name} could not be created`, async () => {
      await ecrOf(clients).send(
        new CreateRepositoryCommand({
          repositoryName: name,
          imageTagMutability: mutability as "MUTABLE" | "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: scan },
          encryptionConfiguration: { encryptionType: encryption as "AES256" | "KMS" },
        }),
      );
      notify({ type: "success", content: `Repository ${name} has been created.` });
      onCreated();
    });
  };
  return (
    <ActionModal
      header="Create repository"
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} disabled={!name || invalid} onClick={() => void submit()}>
          Create
        </Button>
      }
    >
      <SpaceBetween size="l">
        <FormField
          label="Repository name"
          constraintText="Lowercase letters, numbers, hyphens, underscores, periods and forward slashes (namespaces)."
          errorText={invalid ? "The repository name is not valid." : undefined}
        >
          <Input value={name} autoFocus onChange={(e) => setName(e.detail.value)} controlId="repository-name" />
        </FormField>
        <FormField label="Tag immutability">
          <RadioGroup
            value={mutability}
            onChange={(e) => setMutability(e.detail.value)}
            items={[
              { value: "MUTABLE", label: "Mutable", description: "Image tags can be overwritten." },
              { value: "IMMUTABLE", label: "Immutable", description: "A pushed tag cannot be overwritten." },
            ]}
          />
        </FormField>
        <FormField label="Encryption">
          <RadioGroup
            value={encryption}
            onChange={(e) => setEncryption(e.detail.value)}
            items={[
              { value: "AES256", label: "AES-256" },
              { value: "KMS", label: "AWS KMS" },
            ]}
          />
        </FormField>
        <Toggle checked={scan} onChange={(e) => setScan(e.detail.checked)}>
          Scan on push
        </Toggle>
      </SpaceBetween>
    </ActionModal>
  );
}

export function PushCommandsModal({ repository, onClose }: { repository: Repository; onClose: () => void }) {
  const { clients } = useApp();
  const steps = pushCommands(repository.repositoryUri ?? "", clients.region, clients.endpoint);
  return (
    <Modal visible size="large" onDismiss={onClose} header={`Push commands for ${repository.repositoryName}`} footer={<Box float="right"><Button onClick={onClose}>Close</Button></Box>}>
      <SpaceBetween size="m">
        <Box>Use the aws CLI and Docker (or Podman) to push an image to this repository:</Box>
        {steps.map((s, i) => (
          <SpaceBetween size="xxs" key={i}>
            <Box>
              {i + 1}. {s.title}
            </Box>
            <CopyToClipboard variant="inline" textToCopy={s.command} copyButtonAriaLabel="Copy command" copySuccessText="Command copied" copyErrorText="Command could not be copied" />
          </SpaceBetween>
        ))}
      </SpaceBetween>
    </Modal>
  );
}

export function RepositoryDetail({ repository }: { repository: string }) {
  const { clients, notify, notifyError } = useApp();
  const [selected, setSelected] = useState<ImageDetail[]>([]);
  const [pushing, setPushing] = useState(false);
  const repo = usePolled(async () => {
    for await (const p of paginateDescribeRepositories({ client: ecrOf(clients) }, { repositoryNames: [repository] })) return p.repositories?.[0];
    return undefined;
  }, [clients, repository], false);
  const images = usePolled(async () => {
    const out: ImageDetail[] = [];
    for await (const p of paginateDescribeImages({ client: ecrOf(clients) }, { repositoryName: repository })) out.push(...(p.imageDetails ?? []));
    return out.sort((a, b) => (b.imagePushedAt?.getTime() ?? 0) - (a.imagePushedAt?.getTime() ?? 0));
  }, [clients, repository]);
  const remove = async () => {
    try {
      const r = await ecrOf(clients).send(new BatchDeleteImageCommand({ repositoryName: repository, imageIds: selected.map((i) => ({ imageDigest: i.imageDigest })) }));
      for (const f of r.failures ?? []) notifyError(`Image ${f.imageId?.imageDigest} could not be deleted`, { name: f.failureCode, message: f.failureReason });
      if (r.imageIds?.length) notify({ type: "success", content: `${r.imageIds.length} image(s) deleted.` });
      setSelected([]);
      images.reload();
    } catch (e) {
      notifyError("Images could not be deleted", e);
    }
  };
  const r = repo.data;
  return (
    <ContentLayout
      header={
        <DetailHeader
          crumbs={[
            ["Private repositories", { page: "repositories" }],
            [repository, { page: "repository", repository }],
          ]}
          actions={
            <Button disabled={!r} onClick={() => setPushing(true)}>
              View push commands
            </Button>
          }
        >
          {repository}
        </DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={repo.error} what="the repository" />
        <DetailsPanel
          title="General information"
          columns={3}
          items={[
            ["URI", r?.repositoryUri && <CopyToClipboard variant="inline" textToCopy={r.repositoryUri} copyButtonAriaLabel="Copy URI" copySuccessText="URI copied" copyErrorText="URI could not be copied" />],
            ["Tag immutability", r ? (r.imageTagMutability === "IMMUTABLE" ? "Enabled" : "Disabled") : undefined],
            ["Created at", formatTime(r?.createdAt)],
          ]}
        />
        <Tabs
          tabs={[
            {
              id: "images",
              label: "Images",
              content: (
                <SpaceBetween size="s">
                  <LoadError error={images.error} what="images" />
                  <Table
                    loading={images.loading && !images.data}
                    items={images.data ?? []}
                    trackBy="imageDigest"
                    selectionType="multi"
                    selectedItems={selected}
                    onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
                    ariaLabels={{ itemSelectionLabel: (_, i) => i.imageDigest ?? "", selectionGroupLabel: "Images", allItemsSelectionLabel: () => "all images" }}
                    header={
                      <Header
                        counter={counterOf(images.data)}
                        actions={
                          <SpaceBetween direction="horizontal" size="xs">
                            <Button iconName="refresh" ariaLabel="Refresh images" onClick={images.reload} />
                            <Button disabled={!selected.length} onClick={() => void remove()}>
                              Delete
                            </Button>
                          </SpaceBetween>
                        }
                      >
                        Images
                      </Header>
                    }
                    empty={<Empty title="No images">Push one with the push commands.</Empty>}
                    columnDefinitions={[
                      { id: "tags", header: "Image tag", cell: (i) => (i.imageTags?.length ? i.imageTags.join(", ") : "<untagged>") },
                      { id: "type", header: "Artifact type", cell: (i) => (i.imageManifestMediaType?.includes("index") || i.imageManifestMediaType?.includes("list") ? "Image Index" : "Image") },
                      { id: "pushed", header: "Pushed at", cell: (i) => formatTime(i.imagePushedAt) },
                      { id: "size", header: "Size", cell: (i) => formatBytes(i.imageSizeInBytes) },
                      { id: "digest", header: "Image digest", cell: (i) => <CopyToClipboard variant="inline" textToCopy={i.imageDigest ?? ""} copyButtonAriaLabel="Copy digest" copySuccessText="Digest copied" copyErrorText="Digest could not be copied" /> },
                    ]}
                  />
                </SpaceBetween>
              ),
            },
            { id: "lifecycle", label: "Lifecycle policy", content: <LifecyclePolicy repository={repository} /> },
          ]}
        />
      </SpaceBetween>
      {pushing && r && <PushCommandsModal repository={r} onClose={() => setPushing(false)} />}
    </ContentLayout>
  );
}
