// Run new task: a task definition's revision, how many, the launch type, and for awsvpc
// tasks the subnets and security groups (the default VPC's, as the AWS console starts with).
import { useEffect, useState } from "react";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Multiselect from "@cloudscape-design/components/multiselect";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Toggle from "@cloudscape-design/components/toggle";
import { paginateListTaskDefinitions, RunTaskCommand } from "@aws-sdk/client-ecs";
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from "@aws-sdk/client-ec2";
import { ec2Of } from "../../lib/ec2";
import { useApp, usePolled } from "../../lib/app-context";
import { taskDefinitionName } from "../../lib/status";
import { ecsOf } from "../../lib/client-ecs";
import { ActionModal } from "../../components/common";
import { InputField, selectOption } from "../../components/forms";
import { useAction } from "../../lib/actions";

export function RunTaskModal({ cluster, onClose, onStarted }: { cluster: string; onClose: () => void; onStarted: () => void }) {
  const { clients, notify, notifyError } = useApp();
  const [taskDefinition, setTaskDefinition] = useState("");
  const [count, setCount] = useState("1");
  const [launchType, setLaunchType] = useState<"FARGATE" | "EC2">("FARGATE");
  const [subnets, setSubnets] = useState<string[]>([]);
  const [groups, setGroups] = useState<string[]>([]);
  const [publicIp, setPublicIp] = useState(false);
  const [busy, run] = useAction();
  const revisions = usePolled(
    async () => {
      const out: string[] = [];
      for await (const p of paginateListTaskDefinitions({ client: ecsOf(clients), pageSize: 100 }, { sort: "DESC", status: "ACTIVE" })) {
        out.push(...(p.taskDefinitionArns ?? []).map(taskDefinitionName));
      }
      return out;
    },
    [clients],
    false,
  );
  const network = usePolled(
    async () => {
      const s = (await ec2Of(clients).send(new DescribeSubnetsCommand({ Filters: [{ Name: "default-for-az", Values: ["true"] }] }))).Subnets ?? [];
      const vpc = s[0]?.VpcId;
      const g = vpc
        ? (await ec2Of(clients).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc] }] }))).SecurityGroups ?? []
        : [];
      return { subnets: s, groups: g };
    },
    [clients],
    false,
  );
  useEffect(() => {
    if (!network.data) return;
    setSubnets(network.data.subnets.map((s) => s.SubnetId ?? ""));
    setGroups(network.data.groups.filter((g) => g.GroupName === "default").map((g) => g.GroupId ?? ""));
  }, [network.data]);
  const badCount = !/^([1-9]|10)$/.test(count);
  const runTask = async () => {
    await run(`Task ${taskDefinition} could not be run`, async () => {
      const r = await ecsOf(clients).send(
        new RunTaskCommand({
          cluster,
          taskDefinition,
          count: Number(count),
          launchType,
          networkConfiguration: {
            awsvpcConfiguration: { subnets, securityGroups: groups, assignPublicIp: publicIp ? "ENABLED" : "DISABLED" },
          },
        }),
      );
      for (const f of r.failures ?? []) notifyError("A task could not be placed", { name: f.reason ?? "Failure", message: `${f.arn ?? ""} ${f.detail ?? ""}` });
      if (r.tasks?.length) notify({ type: "success", content: `${r.tasks.length} task(s) of ${taskDefinition} started.` });
      onStarted();
    });
  };
  return (
    <ActionModal
      header="Run new task"
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} disabled={!taskDefinition || badCount} onClick={() => void runTask()}>
          Run task
        </Button>
      }
    >
      <SpaceBetween size="l">
        <FormField label="Task definition: revision">
          <Select
            controlId="run-task-definition"
            selectedOption={taskDefinition ? selectOption(taskDefinition) : null}
            placeholder="Choose a task definition"
            filteringType="auto"
            statusType={revisions.loading ? "loading" : "finished"}
            options={(revisions.data ?? []).map((r) => selectOption(r))}
            onChange={(e) => setTaskDefinition(e.detail.selectedOption.value ?? "")}
          />
        </FormField>
        <FormField label="Launch type">
          <Select
            selectedOption={selectOption(launchType)}
            options={[selectOption("FARGATE"), selectOption("EC2")]}
            onChange={(e) => setLaunchType(e.detail.selectedOption.value as "FARGATE" | "EC2")}
          />
        </FormField>
        <InputField label="Desired tasks" errorText={badCount ? "From 1 to 10 tasks." : undefined} value={count} inputMode="numeric" onChange={setCount} controlId="run-task-count" />
        <FormField label="Subnets" description="For tasks in the awsvpc network mode.">
          <Multiselect
            selectedOptions={subnets.map((s) => selectOption(s))}
            options={(network.data?.subnets ?? []).map((s) => selectOption(s.SubnetId ?? "", s.SubnetId, `${s.AvailabilityZone} ${s.CidrBlock}`))}
            onChange={(e) => setSubnets(e.detail.selectedOptions.map((o) => o.value ?? ""))}
          />
        </FormField>
        <FormField label="Security groups">
          <Multiselect
            selectedOptions={groups.map((g) => selectOption(g))}
            options={(network.data?.groups ?? []).map((g) => selectOption(g.GroupId ?? "", `${g.GroupId} ${g.GroupName}`))}
            onChange={(e) => setGroups(e.detail.selectedOptions.map((o) => o.value ?? ""))}
          />
        </FormField>
        <Toggle checked={publicIp} onChange={(e) => setPublicIp(e.detail.checked)}>
          Public IP
        </Toggle>
      </SpaceBetween>
    </ActionModal>
  );
}
