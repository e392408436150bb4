// Security groups: list, create (name, description, VPC, inbound rules), detail with the
// inbound and outbound rules, add and remove a rule, delete.
import { useEffect, useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Tabs from "@cloudscape-design/components/tabs";
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  SecurityGroup,
  SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { ec2Of } from "../../lib/ec2";
import { useApp, usePolled } from "../../lib/app-context";
import { formatRoute } from "../../lib/routes";
import { checkRule, describeRule, NEW_RULE, RULE_TYPES, RuleDraft, toPermission } from "../../lib/sgrules";
import { ActionModal, DetailHeader, DetailsPanel, Empty, LoadError, RouteLink } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { ResourceTable, useListState } from "../../components/ResourceTable";
import { InputField } from "../../components/forms";
import { useAction } from "../../lib/actions";

export function SecurityGroups() {
  const { clients } = useApp();
  const ec2 = ec2Of(clients);
  const list = useListState<SecurityGroup>();
  const groups = usePolled(async () => (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [], [clients]);
  const deleting = list.deleting;
  if (list.creating) return <CreateSecurityGroup onDone={() => list.created(groups)} />;
  return (
    <SpaceBetween size="l">
      <LoadError error={groups.error} what="security groups" />
      <ResourceTable
        title="Security Groups"
        list={groups}
        state={list}
        trackBy="GroupId"
        nameOf={(g) => g.GroupName ?? ""}
        deleteLabel="Delete security group"
        createLabel="Create security group"
        filterText={(g) => `${g.GroupId} ${g.GroupName} ${g.VpcId} ${g.Description}`}
        filterPlaceholder="Filter security groups"
        emptyTitle="No security groups"
        columnDefinitions={[
          { id: "id", header: "Security group ID", cell: (g) => <RouteLink to={{ page: "security-group", id: g.GroupId ?? "" }}>{g.GroupId}</RouteLink> },
          { id: "name", header: "Security group name", cell: (g) => g.GroupName },
          { id: "vpc", header: "VPC ID", cell: (g) => <RouteLink to={{ page: "vpc", id: g.VpcId ?? "" }}>{g.VpcId}</RouteLink> },
          { id: "description", header: "Description", cell: (g) => g.Description },
          { id: "inbound", header: "Inbound rules count", cell: (g) => countRules(g.IpPermissions) },
          { id: "outbound", header: "Outbound rules count", cell: (g) => countRules(g.IpPermissionsEgress) },
        ]}
      />
      {deleting && (
        <DeleteResourceModal
          title="Delete security group"
          kind="Security group"
          name={deleting.GroupId ?? ""}
          what={`${deleting.GroupId} - ${deleting.GroupName}`}
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => ec2.send(new DeleteSecurityGroupCommand({ GroupId: deleting.GroupId }))}
          onDeleted={() => list.deleted(groups)}
        />
      )}
    </SpaceBetween>
  );
}

// One rule per peer of each permission, as the console counts them.
function countRules(ps: SecurityGroup["IpPermissions"]): number {
  return (ps ?? []).reduce((n, p) => n + (p.IpRanges?.length ?? 0) + (p.Ipv6Ranges?.length ?? 0) + (p.UserIdGroupPairs?.length ?? 0) + (p.PrefixListIds?.length ?? 0), 0);
}

const typeOption = (id: string) => {
  const t = RULE_TYPES.find((x) => x.id === id) ?? RULE_TYPES[0];
  return { value: t.id, label: t.label };
};

// The fields of one rule: type, port range (for custom types), source or destination, description.
function RuleFields({ rule, onChange, errors, peer, index }: { rule: RuleDraft; onChange: (r: RuleDraft) => void; errors: { ports?: string; source?: string }; peer: string; index: number }) {
  const type = RULE_TYPES.find((t) => t.id === rule.type);
  const fixed = type?.protocol === "-1" ? "All" : type?.ports ? (type.ports[0] === type.ports[1] ? String(type.ports[0]) : `${type.ports[0]} - ${type.ports[1]}`) : undefined;
  return (
    <SpaceBetween direction="horizontal" size="s">
      <FormField label="Type">
        <Select selectedOption={typeOption(rule.type)} options={RULE_TYPES.map((t) => typeOption(t.id))} onChange={(e) => onChange({ ...rule, type: e.detail.selectedOption.value ?? "custom-tcp" })} ariaLabel={`Type of rule ${index + 1}`} controlId={`rule-${index}-type`} />
      </FormField>
      <InputField label="Port range" errorText={errors.ports} value={fixed ?? rule.ports} disabled={fixed !== undefined} onChange={(entered) => onChange({ ...rule, ports: entered })} placeholder="8080" controlId={`rule-${index}-ports`} />
      <InputField label={peer} errorText={errors.source} value={rule.source} onChange={(entered) => onChange({ ...rule, source: entered })} placeholder="0.0.0.0/0 or sg-..." controlId={`rule-${index}-source`} />
      <InputField label="Description - optional" value={rule.description} onChange={(entered) => onChange({ ...rule, description: entered })} controlId={`rule-${index}-description`} />
    </SpaceBetween>
  );
}

function CreateSecurityGroup({ onDone }: { onDone: () => void }) {
  const { clients, notify, go } = useApp();
  const ec2 = ec2Of(clients);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [vpc, setVpc] = useState("");
  const [rules, setRules] = useState<RuleDraft[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const [busy, run] = useAction();
  const vpcs = usePolled(async () => (await ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [], [clients], false);
  useEffect(() => {
    if (!vpc && vpcs.data?.length) setVpc((vpcs.data.find((v) => v.IsDefault) ?? vpcs.data[0]).VpcId ?? "");
  }, [vpcs.data, vpc]);
  const nameError = submitted && !/^[\x20-\x7e]{1,255}$/.test(name) ? "Up to 255 characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" : undefined;
  const descriptionError = submitted && !/^[\x20-\x7e]{1,255}$/.test(description) ? "Enter a description of up to 255 characters." : undefined;
  const ruleErrors = rules.map((r) => (submitted ? checkRule(r) : {}));

  const create = async () => {
    setSubmitted(true);
    if (!/^[\x20-\x7e]{1,255}$/.test(name) || !/^[\x20-\x7e]{1,255}$/.test(description) || rules.some((r) => Object.keys(checkRule(r)).length)) return;
    await run(`Security group ${name} could not be created`, async () => {
      const made = await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: description, VpcId: vpc || undefined }));
      if (rules.length) await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: made.GroupId, IpPermissions: rules.map(toPermission) }));
      notify({ type: "success", content: `Security group (${made.GroupId} | ${name}) was created successfully.` });
      onDone();
      go({ page: "security-group", id: made.GroupId ?? "" });
    });
  };

  return (
    <form onSubmit={(e) => { e.preventDefault(); void create(); }}>
      <ContentLayout header={<Header variant="h1" description="A security group acts as a virtual firewall for your tasks and load balancers to control inbound and outbound traffic.">Create security group</Header>}>
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">Basic details</Header>}>
            <SpaceBetween size="l">
              <InputField label="Security group name" errorText={nameError} value={name} onChange={setName} controlId="security-group-name" />
              <InputField label="Description" errorText={descriptionError} value={description} onChange={setDescription} controlId="security-group-description" />
              <FormField label="VPC">
                <Select
                  selectedOption={vpc ? { value: vpc, label: vpc } : null}
                  options={(vpcs.data ?? []).map((v) => ({ value: v.VpcId ?? "", label: `${v.VpcId}${v.IsDefault ? " (default)" : ""}`, description: v.CidrBlock }))}
                  onChange={(e) => setVpc(e.detail.selectedOption.value ?? "")}
                  ariaLabel="VPC"
                />
              </FormField>
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2" description="Outbound: all traffic is allowed, as for every new group.">Inbound rules</Header>}>
            <SpaceBetween size="m">
              {rules.length === 0 && <Box color="text-body-secondary">This security group has no inbound rules.</Box>}
              {rules.map((r, i) => (
                <SpaceBetween key={i} direction="horizontal" size="s">
                  <RuleFields rule={r} index={i} peer="Source" errors={ruleErrors[i]} onChange={(n) => setRules(rules.map((x, j) => (j === i ? n : x)))} />
                  <Box padding={{ top: "l" }}>
                    <Button onClick={() => setRules(rules.filter((_, j) => j !== i))}>Delete</Button>
                  </Box>
                </SpaceBetween>
              ))}
              <Button formAction="none" onClick={() => setRules([...rules, NEW_RULE])}>Add rule</Button>
            </SpaceBetween>
          </Container>
          <Box float="right">
            <SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" formAction="none" onClick={onDone}>Cancel</Button>
              <Button variant="primary" loading={busy} formAction="submit">Create security group</Button>
            </SpaceBetween>
          </Box>
        </SpaceBetween>
      </ContentLayout>
    </form>
  );
}

export function SecurityGroupDetail({ id, tab }: { id: string; tab?: string }) {
  const { clients } = useApp();
  const ec2 = ec2Of(clients);
  const group = usePolled(async () => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups?.[0], [clients, id]);
  const rules = usePolled(
    async () => (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [id] }] }))).SecurityGroupRules ?? [],
    [clients, id],
  );
  const g = group.data;
  return (
    <ContentLayout
      header={
        <DetailHeader crumbs={[["Security Groups", { page: "security-groups" }], [id, { page: "security-group", id }]]}>{`${id} - ${g?.GroupName ?? ""}`}</DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={group.error} what="the security group" />
        <DetailsPanel
          title="Details"
          columns={3}
          items={[
            ["Security group name", g?.GroupName],
            ["Security group ID", g?.GroupId],
            ["Description", g?.Description],
            ["VPC ID", g?.VpcId ? <RouteLink to={{ page: "vpc", id: g.VpcId }}>{g.VpcId}</RouteLink> : undefined],
            ["Owner", g?.OwnerId],
            ["Inbound rules count", `${(rules.data ?? []).filter((r) => !r.IsEgress).length} Permission entries`],
            ["Outbound rules count", `${(rules.data ?? []).filter((r) => r.IsEgress).length} Permission entries`],
          ]}
        />
        <LoadError error={rules.error} what="the rules" />
        <Tabs
          activeTabId={tab === "outbound" ? "outbound" : "inbound"}
          onChange={(e) => window.location.replace(formatRoute({ page: "security-group", id, tab: e.detail.activeTabId }))}
          tabs={[
            { id: "inbound", label: "Inbound rules", content: <RulesTable groupId={id} egress={false} rules={(rules.data ?? []).filter((r) => !r.IsEgress)} loading={rules.loading && !rules.data} onChanged={rules.reload} /> },
            { id: "outbound", label: "Outbound rules", content: <RulesTable groupId={id} egress rules={(rules.data ?? []).filter((r) => r.IsEgress)} loading={rules.loading && !rules.data} onChanged={rules.reload} /> },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}

function RulesTable({ groupId, egress, rules, loading, onChanged }: { groupId: string; egress: boolean; rules: SecurityGroupRule[]; loading: boolean; onChanged: () => void }) {
  const { clients, notify } = useApp();
  const ec2 = ec2Of(clients);
  const [selected, setSelected] = useState<SecurityGroupRule[]>([]);
  const [adding, setAdding] = useState(false);
  const [busy, run] = useAction();
  const title = egress ? "Outbound rules" : "Inbound rules";
  const peer = egress ? "Destination" : "Source";

  const remove = async () => {
    const ids = selected.map((r) => r.SecurityGroupRuleId ?? "");
    await run(`The rules could not be deleted`, async () => {
      if (egress) await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: ids }));
      else await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ids }));
      notify({ type: "success", content: `${ids.length} ${egress ? "outbound" : "inbound"} rule${ids.length === 1 ? "" : "s"} of ${groupId} deleted.` });
      setSelected([]);
      onChanged();
    });
  };

  return (
    <>
      <Table
        loading={loading}
        items={rules}
        trackBy="SecurityGroupRuleId"
        selectionType="multi"
        selectedItems={selected}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
        ariaLabels={{ itemSelectionLabel: (_, r) => r.SecurityGroupRuleId ?? "", selectionGroupLabel: title, allItemsSelectionLabel: () => `all ${title.toLowerCase()}` }}
        header={
          <Header
            counter={`(${rules.length})`}
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button disabled={!selected.length} loading={busy} onClick={() => void remove()}>Delete rules</Button>
                <Button onClick={() => setAdding(true)}>{egress ? "Add outbound rule" : "Add inbound rule"}</Button>
              </SpaceBetween>
            }
          >
            {title}
          </Header>
        }
        empty={<Empty title={`No ${title.toLowerCase()}`}>This security group has no {title.toLowerCase()}.</Empty>}
        columnDefinitions={[
          { id: "id", header: "Security group rule ID", cell: (r) => r.SecurityGroupRuleId },
          { id: "type", header: "Type", cell: (r) => describeRule(r).type },
          { id: "protocol", header: "Protocol", cell: (r) => describeRule(r).protocol },
          { id: "ports", header: "Port range", cell: (r) => describeRule(r).ports },
          { id: "peer", header: peer, cell: (r) => describeRule(r).peer },
          { id: "description", header: "Description", cell: (r) => r.Description ?? "-" },
        ]}
      />
      {adding && <AddRuleModal groupId={groupId} egress={egress} peer={peer} onClose={() => setAdding(false)} onAdded={() => { setAdding(false); onChanged(); }} />}
    </>
  );
}

function AddRuleModal({ groupId, egress, peer, onClose, onAdded }: { groupId: string; egress: boolean; peer: string; onClose: () => void; onAdded: () => void }) {
  const { clients, notify } = useApp();
  const ec2 = ec2Of(clients);
  const [rule, setRule] = useState<RuleDraft>(NEW_RULE);
  const [submitted, setSubmitted] = useState(false);
  const [busy, run] = useAction();
  const add = async () => {
    setSubmitted(true);
    if (Object.keys(checkRule(rule)).length) return;
    await run("The rule could not be added", async () => {
      const input = { GroupId: groupId, IpPermissions: [toPermission(rule)] };
      if (egress) await ec2.send(new AuthorizeSecurityGroupEgressCommand(input));
      else await ec2.send(new AuthorizeSecurityGroupIngressCommand(input));
      notify({ type: "success", content: `An ${egress ? "outbound" : "inbound"} rule was added to ${groupId}.` });
      onAdded();
    });
  };
  return (
    <ActionModal
      header={egress ? "Add outbound rule" : "Add inbound rule"}
      size="max"
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} onClick={() => void add()}>Save rules</Button>
      }
    >
      <RuleFields rule={rule} index={0} peer={peer} errors={submitted ? checkRule(rule) : {}} onChange={setRule} />
    </ActionModal>
  );
}
