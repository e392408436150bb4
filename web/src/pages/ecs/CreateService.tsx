// Create a service, as the AWS console asks: compute, task definition, name and desired
// tasks, deployment percentages, networking (VPC, subnets, security groups, public IP),
// load balancing (a target group and the container port it sends to, grace period).
import { useEffect, useState } from "react";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Multiselect from "@cloudscape-design/components/multiselect";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Toggle from "@cloudscape-design/components/toggle";
import {
  CreateServiceCommand,
  CreateServiceCommandInput,
  DescribeTaskDefinitionCommand,
  paginateListTaskDefinitionFamilies,
  paginateListTaskDefinitions,
} from "@aws-sdk/client-ecs";
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { DescribeTargetGroupsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ec2Of } from "../../lib/ec2";
import { useApp, usePolled } from "../../lib/app-context";
import { taskDefinitionName } from "../../lib/status";
import { ecsOf } from "../../lib/client-ecs";
import { elbv2Of } from "../../lib/client-elbv2";
import { DetailHeader } from "../../components/common";
import { clusterCrumbs } from "../../lib/routes";
import { InputField, RadioField, selectOption, SubmitForm } from "../../components/forms";
import { useAction } from "../../lib/actions";

export function CreateService({ cluster }: { cluster: string }) {
  const { clients, notify, go } = useApp();
  const [launchType, setLaunchType] = useState<"FARGATE" | "EC2">("FARGATE");
  const [family, setFamily] = useState("");
  const [revision, setRevision] = useState("");
  const [name, setName] = useState("");
  const [desired, setDesired] = useState("1");
  const [minPercent, setMinPercent] = useState("100");
  const [maxPercent, setMaxPercent] = useState("200");
  const [vpc, setVpc] = useState("");
  const [subnets, setSubnets] = useState<string[]>([]);
  const [groups, setGroups] = useState<string[]>([]);
  const [publicIp, setPublicIp] = useState(true);
  const [targetGroup, setTargetGroup] = useState("");
  const [containerPort, setContainerPort] = useState("");
  const [grace, setGrace] = useState("0");
  const [submitted, setSubmitted] = useState(false);
  const [busy, run] = useAction();

  const families = usePolled(
    async () => {
      const out: string[] = [];
      for await (const p of paginateListTaskDefinitionFamilies({ client: ecsOf(clients), pageSize: 100 }, { status: "ACTIVE" })) out.push(...(p.families ?? []));
      return out.sort();
    },
    [clients],
    false,
  );
  const revisions = usePolled(
    async () => {
      if (!family) return [];
      const out: string[] = [];
      for await (const p of paginateListTaskDefinitions({ client: ecsOf(clients), pageSize: 100 }, { familyPrefix: family, sort: "DESC" })) {
        out.push(...(p.taskDefinitionArns ?? []).map(taskDefinitionName).filter((n) => n.startsWith(`${family}:`)));
      }
      return out;
    },
    [clients, family],
    false,
  );
  useEffect(() => {
    if (revisions.data?.length && !revisions.data.includes(revision)) setRevision(revisions.data[0]);
  }, [revisions.data, revision]);
  const taskDef = usePolled(
    async () => (revision ? (await ecsOf(clients).send(new DescribeTaskDefinitionCommand({ taskDefinition: revision }))).taskDefinition : undefined),
    [clients, revision],
    false,
  );
  const awsvpc = (taskDef.data?.networkMode ?? "awsvpc") === "awsvpc";
  const vpcs = usePolled(async () => (await ec2Of(clients).send(new DescribeVpcsCommand({}))).Vpcs ?? [], [clients], false);
  useEffect(() => {
    if (!vpc && vpcs.data?.length) setVpc((vpcs.data.find((v) => v.IsDefault) ?? vpcs.data[0]).VpcId ?? "");
  }, [vpcs.data, vpc]);
  const subnetList = usePolled(
    async () => (vpc ? (await ec2Of(clients).send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc] }] }))).Subnets ?? [] : []),
    [clients, vpc],
    false,
  );
  const groupList = usePolled(
    async () =>
      vpc ? (await ec2Of(clients).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc] }] }))).SecurityGroups ?? [] : [],
    [clients, vpc],
    false,
  );
  useEffect(() => {
    if (subnetList.data) setSubnets(subnetList.data.map((s) => s.SubnetId ?? ""));
  }, [subnetList.data]);
  useEffect(() => {
    if (groupList.data) setGroups(groupList.data.filter((g) => g.GroupName === "default").map((g) => g.GroupId ?? ""));
  }, [groupList.data]);
  const targetGroups = usePolled(async () => (await elbv2Of(clients).send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [], [clients], false);

  const containerPorts = (taskDef.data?.containerDefinitions ?? []).flatMap((c) =>
    (c.portMappings ?? []).map((p) => ({ value: `${c.name}:${p.containerPort}`, label: `${c.name} ${p.containerPort}:${p.containerPort}` })),
  );
  useEffect(() => {
    if (containerPorts.length && !containerPorts.some((p) => p.value === containerPort)) setContainerPort(containerPorts[0].value);
  }, [containerPorts.map((p) => p.value).join(","), containerPort]);

  const errors: Record<string, string> = {};
  if (!revision) errors.family = "Choose a task definition.";
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) errors.name = "Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.";
  if (!/^\d+$/.test(desired)) errors.desired = "Enter a whole number of tasks.";
  if (!/^\d+$/.test(minPercent)) errors.minPercent = "Enter a percentage.";
  if (!/^\d+$/.test(maxPercent)) errors.maxPercent = "Enter a percentage.";
  if (awsvpc && !subnets.length) errors.subnets = "Choose at least one subnet.";
  if (targetGroup && !containerPort) errors.containerPort = "Choose the container port the load balancer sends to.";
  if (!/^\d+$/.test(grace)) errors.grace = "Enter a number of seconds.";
  const shown = submitted ? errors : {};

  const submit = async () => {
    setSubmitted(true);
    if (Object.keys(errors).length) return;
    const [containerName, port] = containerPort.split(/:(?=\d+$)/);
    const input: CreateServiceCommandInput = {
      cluster,
      serviceName: name,
      taskDefinition: revision,
      desiredCount: Number(desired),
      launchType,
      deploymentConfiguration: { minimumHealthyPercent: Number(minPercent), maximumPercent: Number(maxPercent) },
      ...(awsvpc
        ? {
            networkConfiguration: {
              awsvpcConfiguration: { subnets, securityGroups: groups, assignPublicIp: publicIp ? "ENABLED" : "DISABLED" },
            },
          }
        : {}),
      ...(targetGroup
        ? {
            loadBalancers: [{ targetGroupArn: targetGroup, containerName, containerPort: Number(port) }],
            healthCheckGracePeriodSeconds: Number(grace),
          }
        : {}),
    };
    await run(`Service ${name} could not be created`, async () => {
      await ecsOf(clients).send(new CreateServiceCommand(input));
      notify({ type: "success", content: `Service ${name} has been created: its deployment is starting ${desired} tasks.` });
      go({ page: "service", cluster, service: name });
    });
  };

  return (
    <ContentLayout
      header={
        <DetailHeader
          crumbs={clusterCrumbs(cluster, ["Create service", { page: "create-service", cluster }])}
        >Create service</DetailHeader>
      }
    >
      <SubmitForm
        submitLabel="Create"
        busy={busy}
        onSubmit={() => void submit()}
        onCancel={() => go({ page: "cluster", cluster })}
        errorText={submitted && Object.keys(errors).length ? "Correct the fields marked in red." : undefined}
      >
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">Environment</Header>}>
            <RadioField
              label="Compute options"
              value={launchType}
              onChange={setLaunchType}
              items={[
                { value: "FARGATE", label: "Launch type: FARGATE" },
                { value: "EC2", label: "Launch type: EC2" },
              ]}
            />
          </Container>
          <Container header={<Header variant="h2">Deployment configuration</Header>}>
            <SpaceBetween size="l">
              <ColumnLayout columns={2}>
                <FormField label="Task definition family" errorText={shown.family}>
                  <Select
                    controlId="task-definition-family"
                    selectedOption={family ? selectOption(family) : null}
                    placeholder="Choose a family"
                    statusType={families.loading ? "loading" : "finished"}
                    options={(families.data ?? []).map((f) => selectOption(f))}
                    onChange={(e) => {
                      setFamily(e.detail.selectedOption.value ?? "");
                      setRevision("");
                    }}
                    filteringType="auto"
                  />
                </FormField>
                <FormField label="Revision">
                  <Select
                    controlId="task-definition-revision"
                    selectedOption={revision ? selectOption(revision, `${revision.split(":")[1]}${revision === revisions.data?.[0] ? " (LATEST)" : ""}`) : null}
                    disabled={!family}
                    options={(revisions.data ?? []).map((r, i) => selectOption(r, `${r.split(":")[1]}${i === 0 ? " (LATEST)" : ""}`))}
                    onChange={(e) => setRevision(e.detail.selectedOption.value ?? "")}
                  />
                </FormField>
              </ColumnLayout>
              <ColumnLayout columns={2}>
                <InputField label="Service name" errorText={shown.name} value={name} onChange={setName} controlId="service-name" />
                <InputField label="Desired tasks" errorText={shown.desired} value={desired} inputMode="numeric" onChange={setDesired} controlId="desired-tasks" />
              </ColumnLayout>
              <ColumnLayout columns={2}>
                <InputField label="Min running tasks %" errorText={shown.minPercent} value={minPercent} inputMode="numeric" onChange={setMinPercent} controlId="min-percent" />
                <InputField label="Max running tasks %" errorText={shown.maxPercent} value={maxPercent} inputMode="numeric" onChange={setMaxPercent} controlId="max-percent" />
              </ColumnLayout>
            </SpaceBetween>
          </Container>
          {awsvpc && (
            <Container header={<Header variant="h2">Networking</Header>}>
              <SpaceBetween size="l">
                <FormField label="VPC">
                  <Select
                    selectedOption={vpc ? selectOption(vpc, vpc, vpcs.data?.find((v) => v.VpcId === vpc)?.CidrBlock) : null}
                    options={(vpcs.data ?? []).map((v) => selectOption(v.VpcId ?? "", `${v.VpcId}${v.IsDefault ? " (default)" : ""}`, v.CidrBlock))}
                    onChange={(e) => setVpc(e.detail.selectedOption.value ?? "")}
                  />
                </FormField>
                <FormField label="Subnets" errorText={shown.subnets}>
                  <Multiselect
                    selectedOptions={subnets.map((s) => selectOption(s))}
                    options={(subnetList.data ?? []).map((s) => selectOption(s.SubnetId ?? "", s.SubnetId, `${s.AvailabilityZone} ${s.CidrBlock}`))}
                    onChange={(e) => setSubnets(e.detail.selectedOptions.map((o) => o.value ?? ""))}
                    placeholder="Choose subnets"
                  />
                </FormField>
                <FormField label="Security groups">
                  <Multiselect
                    selectedOptions={groups.map((g) => selectOption(g, `${g} ${groupList.data?.find((x) => x.GroupId === g)?.GroupName ?? ""}`))}
                    options={(groupList.data ?? []).map((g) => selectOption(g.GroupId ?? "", `${g.GroupId} ${g.GroupName}`, g.Description))}
                    onChange={(e) => setGroups(e.detail.selectedOptions.map((o) => o.value ?? ""))}
                    placeholder="Choose security groups"
                  />
                </FormField>
                <Toggle checked={publicIp} onChange={(e) => setPublicIp(e.detail.checked)}>
                  Public IP
                </Toggle>
              </SpaceBetween>
            </Container>
          )}
          <Container header={<Header variant="h2">Load balancing - optional</Header>}>
            <SpaceBetween size="l">
              <FormField label="Target group" description="An Application Load Balancer's target group; the tasks register in it.">
                <Select
                  controlId="target-group"
                  selectedOption={
                    targetGroup
                      ? selectOption(targetGroup, targetGroups.data?.find((g) => g.TargetGroupArn === targetGroup)?.TargetGroupName)
                      : selectOption("", "None")
                  }
                  options={[
                    selectOption("", "None"),
                    ...(targetGroups.data ?? []).map((g) =>
                      selectOption(g.TargetGroupArn ?? "", g.TargetGroupName, `${g.Protocol}:${g.Port} ${g.TargetType} ${g.LoadBalancerArns?.length ? "" : "(no load balancer)"}`),
                    ),
                  ]}
                  onChange={(e) => setTargetGroup(e.detail.selectedOption.value ?? "")}
                />
              </FormField>
              {targetGroup && (
                <ColumnLayout columns={2}>
                  <FormField label="Container to load balance" errorText={shown.containerPort}>
                    <Select
                      selectedOption={containerPort ? containerPorts.find((p) => p.value === containerPort) ?? null : null}
                      options={containerPorts}
                      onChange={(e) => setContainerPort(e.detail.selectedOption.value ?? "")}
                    />
                  </FormField>
                  <InputField label="Health check grace period" description="Seconds." errorText={shown.grace} value={grace} inputMode="numeric" onChange={setGrace} controlId="grace-period" />
                </ColumnLayout>
              )}
            </SpaceBetween>
          </Container>
        </SpaceBetween>
      </SubmitForm>
    </ContentLayout>
  );
}
