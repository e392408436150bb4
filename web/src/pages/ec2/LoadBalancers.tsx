// Application Load Balancers: list, a create wizard (scheme, subnets, security groups, a
// listener, a target group with its health check), detail with listeners and their rules,
// delete.
import { useEffect, useState } from "react";
import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Multiselect from "@cloudscape-design/components/multiselect";
import RadioGroup from "@cloudscape-design/components/radio-group";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Wizard from "@cloudscape-design/components/wizard";
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  LoadBalancer,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ec2Of } from "../../lib/ec2";
import { useApp, usePolled } from "../../lib/app-context";
import { formatTime } from "../../lib/status";
import { DetailHeader, DetailsPanel, Empty, LoadError, RouteLink, State } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { PolledTable, ResourceTable, useListState } from "../../components/ResourceTable";
import { describeAction, describeConditions } from "./describe-rules";
import { checkTargetGroup, createTargetGroup, DEFAULT_TARGET_GROUP, TargetGroupFields, TargetGroupSettings } from "./TargetGroups";
import { elbv2Of } from "../../lib/client-elbv2";
import { InputField, RadioField, selectOption } from "../../components/forms";
import { useAction } from "../../lib/actions";

export function LoadBalancers() {
  const { clients } = useApp();
  const list = useListState<LoadBalancer>();
  const deleting = list.deleting;
  const lbs = usePolled(async () => (await elbv2Of(clients).send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [], [clients]);
  if (list.creating) return <CreateLoadBalancer onDone={() => list.created(lbs)} />;
  return (
    <SpaceBetween size="l">
      <LoadError error={lbs.error} what="load balancers" />
      <ResourceTable
        title="Load balancers"
        list={lbs}
        state={list}
        trackBy="LoadBalancerArn"
        nameOf={(l) => l.LoadBalancerName ?? ""}
        deleteLabel="Delete load balancer"
        createLabel="Create load balancer"
        emptyTitle="No load balancers"
        columnDefinitions={[
          { id: "name", header: "Name", cell: (l) => <RouteLink to={{ page: "load-balancer", name: l.LoadBalancerName ?? "" }}>{l.LoadBalancerName}</RouteLink> },
          { id: "dns", header: "DNS name", cell: (l) => l.DNSName },
          { id: "state", header: "State", cell: (l) => <State value={l.State?.Code} /> },
          { id: "vpc", header: "VPC ID", cell: (l) => l.VpcId },
          { id: "zones", header: "Availability Zones", cell: (l) => (l.AvailabilityZones ?? []).map((z) => z.ZoneName).join(", ") },
          { id: "type", header: "Type", cell: (l) => l.Type },
          { id: "created", header: "Date created", cell: (l) => formatTime(l.CreatedTime) },
        ]}
      />
      {deleting && (
        <DeleteResourceModal
          title="Delete load balancer"
          kind="Load balancer"
          name={deleting.LoadBalancerName ?? ""}
          phrase="confirm"
          onClose={() => list.setDeleting(undefined)}
          onDelete={() => elbv2Of(clients).send(new DeleteLoadBalancerCommand({ LoadBalancerArn: deleting.LoadBalancerArn }))}
          onDeleted={() => list.deleted(lbs)}
        />
      )}
    </SpaceBetween>
  );
}

function CreateLoadBalancer({ onDone }: { onDone: () => void }) {
  const { clients, notify, go } = useApp();
  const [step, setStep] = useState(0);
  const [name, setName] = useState("");
  const [scheme, setScheme] = useState<"internet-facing" | "internal">("internet-facing");
  const [vpc, setVpc] = useState("");
  const [subnets, setSubnets] = useState<string[]>([]);
  const [groups, setGroups] = useState<string[]>([]);
  const [port, setPort] = useState("80");
  const [targetChoice, setTargetChoice] = useState<"new" | "existing">("new");
  const [existing, setExisting] = useState("");
  const [tg, setTg] = useState<TargetGroupSettings>(DEFAULT_TARGET_GROUP);
  const [busy, run] = useAction();
  const [shown, setShown] = useState<Record<string, string>>({});

  const vpcs = usePolled(async () => (await ec2Of(clients).send(new DescribeVpcsCommand({}))).Vpcs ?? [], [clients], false);
  useEffect(() => {
    if (!vpc && vpcs.data?.length) setVpc((vpcs.data.find((v) => v.IsDefault) ?? vpcs.data[0]).VpcId ?? "");
  }, [vpcs.data, vpc]);
  const subnetList = usePolled(
    async () => (vpc ? (await ec2Of(clients).send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc] }] }))).Subnets ?? [] : []),
    [clients, vpc],
    false,
  );
  useEffect(() => {
    // One subnet per zone, as many zones as there are: what AWS's wizard starts with.
    const zones = new Set<string>();
    setSubnets((subnetList.data ?? []).filter((s) => !zones.has(s.AvailabilityZone ?? "") && zones.add(s.AvailabilityZone ?? "")).map((s) => s.SubnetId ?? ""));
  }, [subnetList.data]);
  const groupList = usePolled(
    async () => (vpc ? (await ec2Of(clients).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc] }] }))).SecurityGroups ?? [] : []),
    [clients, vpc],
    false,
  );
  useEffect(() => {
    setGroups((groupList.data ?? []).filter((g) => g.GroupName === "default").map((g) => g.GroupId ?? ""));
  }, [groupList.data]);
  const targetGroups = usePolled(async () => (await elbv2Of(clients).send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [], [clients], false);

  const stepErrors = (i: number): Record<string, string> => {
    const e: Record<string, string> = {};
    if (i === 0) {
      if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(name) || name.startsWith("internal-")) {
        e.name = "Up to 32 letters, numbers and hyphens; no hyphen at either end, not starting with internal-.";
      }
      if (subnets.length < 2) e.subnets = "Choose subnets in at least two Availability Zones.";
    }
    if (i === 1) {
      const p = Number(port);
      if (!Number.isInteger(p) || p < 1 || p > 65535) e.port = "A port is a number from 1 to 65535.";
      if (targetChoice === "existing" && !existing) e.existing = "Choose a target group.";
      if (targetChoice === "new") Object.assign(e, checkTargetGroup({ ...tg, vpc }));
    }
    return e;
  };

  const create = async () => {
    await run(`Load balancer ${name} could not be created`, async () => {
      let targetGroupArn = existing;
      if (targetChoice === "new") {
        const made = await createTargetGroup(clients, { ...tg, vpc });
        targetGroupArn = made?.TargetGroupArn ?? "";
      }
      const r = await elbv2Of(clients).send(
        new CreateLoadBalancerCommand({ Name: name, Scheme: scheme, Type: "application", Subnets: subnets, SecurityGroups: groups }),
      );
      const lb = r.LoadBalancers?.[0];
      await elbv2Of(clients).send(
        new CreateListenerCommand({
          LoadBalancerArn: lb?.LoadBalancerArn,
          Protocol: "HTTP",
          Port: Number(port),
          DefaultActions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
        }),
      );
      notify({ type: "success", content: `Load balancer ${name} has been created with a listener on HTTP:${port}.` });
      onDone();
      go({ page: "load-balancer", name });
    });
  };

  return (
    <Wizard
      activeStepIndex={step}
      isLoadingNextStep={busy}
      onNavigate={(e) => {
        if (e.detail.requestedStepIndex > step) {
          const errs = stepErrors(step);
          setShown(errs);
          if (Object.keys(errs).length) return;
        }
        setShown({});
        setStep(e.detail.requestedStepIndex);
      }}
      onCancel={onDone}
      onSubmit={() => void create()}
      submitButtonText="Create load balancer"
      i18nStrings={{
        stepNumberLabel: (n) => `Step ${n}`,
        collapsedStepsLabel: (n, total) => `Step ${n} of ${total}`,
        cancelButton: "Cancel",
        previousButton: "Previous",
        nextButton: "Next",
        optional: "optional",
      }}
      steps={[
        {
          title: "Basic configuration and network mapping",
          description: "An Application Load Balancer: HTTP listeners routing to target groups.",
          content: (
            <SpaceBetween size="l">
              <Container header={<Header variant="h2">Basic configuration</Header>}>
                <SpaceBetween size="l">
                  <InputField label="Load balancer name" errorText={shown.name} value={name} onChange={setName} controlId="load-balancer-name" />
                  <RadioField
                    label="Scheme"
                    value={scheme}
                    onChange={setScheme}
                    items={[
                      { value: "internet-facing", label: "Internet-facing" },
                      { value: "internal", label: "Internal" },
                    ]}
                  />
                </SpaceBetween>
              </Container>
              <Container header={<Header variant="h2">Network mapping</Header>}>
                <SpaceBetween size="l">
                  <FormField label="VPC">
                    <Select
                      selectedOption={vpc ? selectOption(vpc) : null}
                      options={(vpcs.data ?? []).map((v) => selectOption(v.VpcId ?? "", `${v.VpcId}${v.IsDefault ? " (default)" : ""}`, v.CidrBlock))}
                      onChange={(e) => setVpc(e.detail.selectedOption.value ?? "")}
                    />
                  </FormField>
                  <FormField label="Subnets" description="At least two, in two Availability Zones." errorText={shown.subnets}>
                    <Multiselect
                      selectedOptions={subnets.map((s) => selectOption(s))}
                      options={(subnetList.data ?? []).map((s) => selectOption(s.SubnetId ?? "", s.SubnetId, `${s.AvailabilityZone} ${s.CidrBlock}`))}
                      onChange={(e) => setSubnets(e.detail.selectedOptions.map((o) => o.value ?? ""))}
                    />
                  </FormField>
                  <FormField label="Security groups">
                    <Multiselect
                      selectedOptions={groups.map((g) => selectOption(g, `${g} ${groupList.data?.find((x) => x.GroupId === g)?.GroupName ?? ""}`))}
                      options={(groupList.data ?? []).map((g) => selectOption(g.GroupId ?? "", `${g.GroupId} ${g.GroupName}`, g.Description))}
                      onChange={(e) => setGroups(e.detail.selectedOptions.map((o) => o.value ?? ""))}
                    />
                  </FormField>
                </SpaceBetween>
              </Container>
            </SpaceBetween>
          ),
        },
        {
          title: "Listeners and routing",
          content: (
            <SpaceBetween size="l">
              <Container header={<Header variant="h2">Listener HTTP</Header>}>
                <InputField label="Port" errorText={shown.port} value={port} inputMode="numeric" onChange={setPort} controlId="listener-port" />
              </Container>
              <Container header={<Header variant="h2">Default action: forward to</Header>}>
                <SpaceBetween size="l">
                  <RadioGroup
                    value={targetChoice}
                    onChange={(e) => setTargetChoice(e.detail.value as "new" | "existing")}
                    items={[
                      { value: "new", label: "Create a target group" },
                      { value: "existing", label: "An existing target group" },
                    ]}
                  />
                  {targetChoice === "existing" ? (
                    <FormField label="Target group" errorText={shown.existing}>
                      <Select
                        selectedOption={existing ? selectOption(existing, targetGroups.data?.find((g) => g.TargetGroupArn === existing)?.TargetGroupName) : null}
                        options={(targetGroups.data ?? []).map((g) => selectOption(g.TargetGroupArn ?? "", g.TargetGroupName, `${g.Protocol}:${g.Port}`))}
                        onChange={(e) => setExisting(e.detail.selectedOption.value ?? "")}
                      />
                    </FormField>
                  ) : (
                    <TargetGroupFields value={{ ...tg, vpc }} onChange={(v) => setTg(v)} errors={shown} />
                  )}
                </SpaceBetween>
              </Container>
            </SpaceBetween>
          ),
        },
        {
          title: "Review and create",
          content: (
            <DetailsPanel
              title="Summary"
              columns={2}
              items={[
                ["Name", name],
                ["Scheme", scheme],
                ["VPC", vpc],
                ["Subnets", subnets.join(", ")],
                ["Security groups", groups.join(", ")],
                ["Listener", `HTTP:${port}`],
                [
                  "Forward to",
                  targetChoice === "new"
                    ? `new target group ${tg.name} (${tg.targetType}, HTTP:${tg.port}, health check ${tg.healthPath})`
                    : targetGroups.data?.find((g) => g.TargetGroupArn === existing)?.TargetGroupName,
                ],
              ]}
            />
          ),
        },
      ]}
    />
  );
}

export function LoadBalancerDetail({ name }: { name: string }) {
  const { clients } = useApp();
  const lb = usePolled(async () => (await elbv2Of(clients).send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0], [clients, name]);
  const listeners = usePolled(
    async () => {
      if (!lb.data) return undefined;
      const ls = (await elbv2Of(clients).send(new DescribeListenersCommand({ LoadBalancerArn: lb.data.LoadBalancerArn }))).Listeners ?? [];
      const withRules = [];
      for (const l of ls) {
        const rules = (await elbv2Of(clients).send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }))).Rules ?? [];
        withRules.push({ ...l, rules });
      }
      return withRules;
    },
    [clients, lb.data?.LoadBalancerArn],
    false,
  );
  const l = lb.data;
  return (
    <ContentLayout
      header={
        <DetailHeader crumbs={[["Load balancers", { page: "load-balancers" }], [name, { page: "load-balancer", name }]]}>{name}</DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={lb.error} what="the load balancer" />
        <DetailsPanel
          title="Details"
          columns={3}
          items={[
            ["Load balancer type", l?.Type],
            ["Status", <State value={l?.State?.Code} />],
            ["Scheme", l?.Scheme],
            ["DNS name", l?.DNSName],
            ["VPC", l?.VpcId],
            ["Availability Zones", (l?.AvailabilityZones ?? []).map((z) => `${z.SubnetId} (${z.ZoneName})`).join(", ")],
            ["Security groups", l?.SecurityGroups?.join(", ")],
            ["Date created", formatTime(l?.CreatedTime)],
            ["ARN", l?.LoadBalancerArn],
          ]}
        />
        <LoadError error={listeners.error} what="listeners" />
        <PolledTable
          list={listeners}
          title="Listeners and rules"
          trackBy="ListenerArn"
          empty={<Empty title="No listeners" />}
          columnDefinitions={[
            {
              id: "protocol",
              header: "Protocol:Port",
              cell: (x) => <RouteLink to={{ page: "listener", name, port: String(x.Port) }}>{`${x.Protocol}:${x.Port}`}</RouteLink>,
            },
            {
              id: "url",
              header: "URL",
              cell: (x) => {
                const url = `${(x.Protocol ?? "HTTP").toLowerCase()}://${l?.DNSName}:${x.Port}/`;
                return (
                  <Link href={url} external data-testid="listener-url">
                    {url}
                  </Link>
                );
              },
            },
            { id: "default", header: "Default action", cell: (x) => (x.DefaultActions ?? []).map(describeAction).join("; ") },
            {
              id: "rules",
              header: "Rules",
              cell: (x) => (
                <SpaceBetween size="xxs">
                  {x.rules.map((r) => (
                    <Box key={r.RuleArn} variant="small">
                      {r.IsDefault ? "Default" : `Priority ${r.Priority}`}: {describeConditions(r)} → {(r.Actions ?? []).map(describeAction).join("; ")}
                    </Box>
                  ))}
                </SpaceBetween>
              ),
            },
          ]}
        />
        <ColumnLayout columns={1}>
          <Box variant="small">Target health is on each target group's page.</Box>
        </ColumnLayout>
      </SpaceBetween>
    </ContentLayout>
  );
}
