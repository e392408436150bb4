// VPCs and subnets: list, detail, create (a Name tag and an IPv4 CIDR block; a subnet's
// Availability Zone), delete.
import { useEffect, useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  Subnet,
  Tag,
  Vpc,
} from "@aws-sdk/client-ec2";
import { ec2Of } from "../../lib/ec2";
import { useApp, usePolled } from "../../lib/app-context";
import { isCidr } from "../../lib/sgrules";
import { ActionModal, DetailHeader, DetailsPanel, LoadError, RouteLink, State } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { PolledTable, ResourceTable, useListState } from "../../components/ResourceTable";
import { InputField } from "../../components/forms";
import { useAction } from "../../lib/actions";

export const nameTag = (tags: Tag[] | undefined) => tags?.find((t) => t.Key === "Name")?.Value;
const withName = (name: string, type: "vpc" | "subnet") =>
  name.trim() ? [{ ResourceType: type, Tags: [{ Key: "Name", Value: name.trim() }] }] : undefined;

export function Vpcs() {
  const { clients, notify } = useApp();
  const ec2 = ec2Of(clients);
  const list = useListState<Vpc>();
  const vpcs = usePolled(async () => (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [], [clients]);
  const deleting = list.deleting;
  return (
    <SpaceBetween size="l">
      <LoadError error={vpcs.error} what="VPCs" />
      <ResourceTable
        title="Your VPCs"
        list={vpcs}
        state={list}
        trackBy="VpcId"
        nameOf={(v) => v.VpcId ?? ""}
        deleteLabel="Delete VPC"
        createLabel="Create VPC"
        filterText={(v) => `${v.VpcId} ${nameTag(v.Tags) ?? ""} ${v.CidrBlock}`}
        filterPlaceholder="Filter VPCs"
        emptyTitle="No VPCs"
        columnDefinitions={[
          { id: "name", header: "Name", cell: (v) => nameTag(v.Tags) ?? "-" },
          { id: "id", header: "VPC ID", cell: (v) => <RouteLink to={{ page: "vpc", id: v.VpcId ?? "" }}>{v.VpcId}</RouteLink> },
          { id: "state", header: "State", cell: (v) => <State value={v.State === "available" ? "ACTIVE" : v.State} /> },
          { id: "cidr", header: "IPv4 CIDR", cell: (v) => v.CidrBlock },
          { id: "default", header: "Default VPC", cell: (v) => (v.IsDefault ? "Yes" : "No") },
          { id: "tenancy", header: "Tenancy", cell: (v) => v.InstanceTenancy },
        ]}
      />
      {list.creating && (
        <CreateModal
          title="Create VPC"
          fields={{ cidr: "10.0.0.0/16" }}
          onClose={() => list.setCreating(false)}
          onCreate={async (name, cidr) => {
            const r = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: withName(name, "vpc") }));
            notify({ type: "success", content: `You successfully created ${r.Vpc?.VpcId}${name ? ` / ${name}` : ""}.` });
            list.created(vpcs);
          }}
        />
      )}
      {deleting && (
        <DeleteResourceModal
          title="Delete VPC"
          kind="VPC"
          name={deleting.VpcId ?? ""}
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => ec2.send(new DeleteVpcCommand({ VpcId: deleting.VpcId }))}
          onDeleted={() => list.deleted(vpcs)}
        />
      )}
    </SpaceBetween>
  );
}

// A Name, an IPv4 CIDR block and, for a subnet, its VPC and Availability Zone.
function CreateModal({
  title,
  fields,
  onClose,
  onCreate,
  children,
}: {
  title: string;
  fields: { cidr: string };
  onClose: () => void;
  onCreate: (name: string, cidr: string) => Promise<void>;
  children?: React.ReactNode;
}) {
  const [name, setName] = useState("");
  const [cidr, setCidr] = useState(fields.cidr);
  const [busy, run] = useAction();
  const cidrError = isCidr(cidr) ? undefined : "Enter an IPv4 CIDR block such as 10.0.0.0/16.";
  return (
    <ActionModal
      header={title}
      onClose={onClose}
      actions={
        <Button
          variant="primary"
          loading={busy}
          disabled={!!cidrError}
          onClick={() => void run(`${title.replace("Create ", "The ")} could not be created`, () => onCreate(name, cidr.trim()))}
        >
          {title}
        </Button>
      }
    >
      <SpaceBetween size="l">
        {children}
        <InputField label="Name tag - optional" value={name} onChange={setName} controlId="create-name" />
        <InputField label="IPv4 CIDR block" errorText={cidrError} value={cidr} onChange={setCidr} controlId="create-cidr" />
      </SpaceBetween>
    </ActionModal>
  );
}

export function VpcDetail({ id }: { id: string }) {
  const { clients } = useApp();
  const ec2 = ec2Of(clients);
  const vpc = usePolled(async () => (await ec2.send(new DescribeVpcsCommand({ VpcIds: [id] }))).Vpcs?.[0], [clients, id]);
  const subnets = usePolled(async () => (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [id] }] }))).Subnets ?? [], [clients, id]);
  const groups = usePolled(async () => (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [id] }] }))).SecurityGroups ?? [], [clients, id]);
  const v = vpc.data;
  return (
    <ContentLayout
      header={<DetailHeader crumbs={[["Your VPCs", { page: "vpcs" }], [id, { page: "vpc", id }]]}>{`${id}${nameTag(v?.Tags) ? ` / ${nameTag(v?.Tags)}` : ""}`}</DetailHeader>}
    >
      <SpaceBetween size="l">
        <LoadError error={vpc.error} what="the VPC" />
        <DetailsPanel
          title="Details"
          columns={3}
          items={[
            ["VPC ID", v?.VpcId],
            ["State", v?.State],
            ["IPv4 CIDR", v?.CidrBlock],
            ["Default VPC", v ? (v.IsDefault ? "Yes" : "No") : undefined],
            ["Tenancy", v?.InstanceTenancy],
            ["DHCP option set", v?.DhcpOptionsId],
            ["Owner ID", v?.OwnerId],
          ]}
        />
        <PolledTable
          list={subnets}
          title="Subnets"
          trackBy="SubnetId"
          empty={<Box textAlign="center">No subnets</Box>}
          columnDefinitions={subnetColumns}
        />
        <PolledTable
          list={groups}
          title="Security groups"
          trackBy="GroupId"
          empty={<Box textAlign="center">No security groups</Box>}
          columnDefinitions={[
            { id: "id", header: "Security group ID", cell: (g) => <RouteLink to={{ page: "security-group", id: g.GroupId ?? "" }}>{g.GroupId}</RouteLink> },
            { id: "name", header: "Name", cell: (g) => g.GroupName },
            { id: "description", header: "Description", cell: (g) => g.Description },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}

const subnetColumns = [
  { id: "name", header: "Name", cell: (s: Subnet) => nameTag(s.Tags) ?? "-" },
  { id: "id", header: "Subnet ID", cell: (s: Subnet) => <RouteLink to={{ page: "subnet", id: s.SubnetId ?? "" }}>{s.SubnetId}</RouteLink> },
  { id: "state", header: "State", cell: (s: Subnet) => <State value={s.State === "available" ? "ACTIVE" : s.State} /> },
  { id: "vpc", header: "VPC", cell: (s: Subnet) => <RouteLink to={{ page: "vpc", id: s.VpcId ?? "" }}>{s.VpcId}</RouteLink> },
  { id: "cidr", header: "IPv4 CIDR", cell: (s: Subnet) => s.CidrBlock },
  { id: "free", header: "Available IPv4 addresses", cell: (s: Subnet) => s.AvailableIpAddressCount },
  { id: "az", header: "Availability Zone", cell: (s: Subnet) => s.AvailabilityZone },
];

export function Subnets() {
  const { clients } = useApp();
  const ec2 = ec2Of(clients);
  const list = useListState<Subnet>();
  const subnets = usePolled(async () => (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [], [clients]);
  const deleting = list.deleting;
  return (
    <SpaceBetween size="l">
      <LoadError error={subnets.error} what="subnets" />
      <ResourceTable
        title="Subnets"
        list={subnets}
        state={list}
        trackBy="SubnetId"
        nameOf={(s) => s.SubnetId ?? ""}
        deleteLabel="Delete subnet"
        createLabel="Create subnet"
        filterText={(s) => `${s.SubnetId} ${nameTag(s.Tags) ?? ""} ${s.VpcId} ${s.CidrBlock} ${s.AvailabilityZone}`}
        filterPlaceholder="Filter subnets"
        emptyTitle="No subnets"
        columnDefinitions={subnetColumns}
      />
      {list.creating && <CreateSubnetModal onClose={() => list.setCreating(false)} onCreated={() => list.created(subnets)} />}
      {deleting && (
        <DeleteResourceModal
          title="Delete subnet"
          kind="Subnet"
          name={deleting.SubnetId ?? ""}
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => ec2.send(new DeleteSubnetCommand({ SubnetId: deleting.SubnetId }))}
          onDeleted={() => list.deleted(subnets)}
        />
      )}
    </SpaceBetween>
  );
}

function CreateSubnetModal({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const { clients, notify } = useApp();
  const ec2 = ec2Of(clients);
  const [vpc, setVpc] = useState("");
  const [zone, setZone] = useState("");
  const vpcs = usePolled(async () => (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [], [clients], false);
  const zones = usePolled(async () => (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones ?? [], [clients], false);
  useEffect(() => {
    if (!vpc && vpcs.data?.length) setVpc((vpcs.data.find((v) => !v.IsDefault) ?? vpcs.data[0]).VpcId ?? "");
  }, [vpcs.data, vpc]);
  const chosen = vpcs.data?.find((v) => v.VpcId === vpc);
  return (
    <CreateModal
      key={vpc}
      title="Create subnet"
      fields={{ cidr: chosen?.CidrBlock?.replace(/\/\d+$/, "/24") ?? "10.0.0.0/24" }}
      onClose={onClose}
      onCreate={async (name, cidr) => {
        const r = await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr, AvailabilityZone: zone || undefined, TagSpecifications: withName(name, "subnet") }));
        notify({ type: "success", content: `You have successfully created subnet ${r.Subnet?.SubnetId}.` });
        onCreated();
      }}
    >
      <FormField label="VPC ID">
        <Select
          selectedOption={vpc ? { value: vpc, label: vpc, description: chosen?.CidrBlock } : null}
          options={(vpcs.data ?? []).map((v) => ({ value: v.VpcId ?? "", label: v.VpcId, description: `${nameTag(v.Tags) ?? ""} ${v.CidrBlock}` }))}
          onChange={(e) => setVpc(e.detail.selectedOption.value ?? "")}
          ariaLabel="VPC ID"
          controlId="subnet-vpc"
        />
      </FormField>
      <FormField label="Availability Zone">
        <Select
          selectedOption={{ value: zone, label: zone || "No preference" }}
          options={[{ value: "", label: "No preference" }, ...(zones.data ?? []).map((z) => ({ value: z.ZoneName ?? "", label: z.ZoneName }))]}
          onChange={(e) => setZone(e.detail.selectedOption.value ?? "")}
          ariaLabel="Availability Zone"
        />
      </FormField>
    </CreateModal>
  );
}

export function SubnetDetail({ id }: { id: string }) {
  const { clients } = useApp();
  const ec2 = ec2Of(clients);
  const subnet = usePolled(async () => (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets?.[0], [clients, id]);
  const s = subnet.data;
  return (
    <ContentLayout
      header={<DetailHeader crumbs={[["Subnets", { page: "subnets" }], [id, { page: "subnet", id }]]}>{`${id}${nameTag(s?.Tags) ? ` / ${nameTag(s?.Tags)}` : ""}`}</DetailHeader>}
    >
      <SpaceBetween size="l">
        <LoadError error={subnet.error} what="the subnet" />
        <DetailsPanel
          title="Details"
          columns={3}
          items={[
            ["Subnet ID", s?.SubnetId],
            ["State", s?.State],
            ["VPC", s?.VpcId ? <RouteLink to={{ page: "vpc", id: s.VpcId }}>{s.VpcId}</RouteLink> : undefined],
            ["IPv4 CIDR", s?.CidrBlock],
            ["Available IPv4 addresses", s?.AvailableIpAddressCount],
            ["Availability Zone", s?.AvailabilityZone],
            ["Default subnet", s ? (s.DefaultForAz ? "Yes" : "No") : undefined],
            ["Auto-assign public IPv4 address", s ? (s.MapPublicIpOnLaunch ? "Yes" : "No") : undefined],
            ["Subnet ARN", s?.SubnetArn],
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}
