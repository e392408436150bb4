// Create a task definition with the form (launch type, OS and architecture, the Fargate
// CPU/memory pairs, roles, containers) or from JSON.
import { useEffect, useState } from "react";
import AttributeEditor from "@cloudscape-design/components/attribute-editor";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Textarea from "@cloudscape-design/components/textarea";
import { RegisterTaskDefinitionCommand, RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";
import { iamOf } from "../../lib/iam";
import { useApp, usePolled } from "../../lib/app-context";
import { AttachRolePolicyCommand, CreateRoleCommand, paginateListRoles, Role } from "@aws-sdk/client-iam";
import {
  checkForm,
  ContainerForm,
  cpuLabel,
  emptyContainer,
  emptyForm,
  FARGATE_SIZES,
  inputFromForm,
  inputFromJson,
  logGroupsToCreate,
  memoryLabel,
  TaskDefinitionForm,
  ECS_TASKS_TRUST,
  EXECUTION_ROLE_NAME,
  EXECUTION_ROLE_POLICY,
  trustsEcsTasks,
} from "../../lib/taskdef";
import { ecsOf } from "../../lib/client-ecs";
import { logsOf } from "../../lib/client-logs";
import { CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DetailHeader } from "../../components/common";
import { InputField, RadioField, SubmitForm } from "../../components/forms";
import { useAction } from "../../lib/actions";

const CREATE_ROLE = "create-new-role";

const DRAFT_KEY = "wharf.console.draft-task-definition";

const JSON_TEMPLATE = JSON.stringify(
  {
    family: "",
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "1024",
    memory: "3072",
    containerDefinitions: [{ name: "", image: "", essential: true, portMappings: [{ containerPort: 80, protocol: "tcp" }] }],
  },
  null,
  2,
);

export function CreateTaskDefinition({ mode }: { mode: "form" | "json" }) {
  const { clients, notify, go } = useApp();
  const [busy, run] = useAction();

  const register = async (input: RegisterTaskDefinitionCommandInput) => {
    await run("Task definition could not be created", async () => {
      const r = await ecsOf(clients).send(new RegisterTaskDefinitionCommand(input));
      const td = r.taskDefinition!;
      sessionStorage.removeItem(DRAFT_KEY);
      notify({ type: "success", content: `Task definition ${td.family}:${td.revision} has been created successfully.` });
      go({ page: "task-definition", family: td.family ?? "", revision: String(td.revision) });
    });
  };

  return (
    <ContentLayout
      header={
        <DetailHeader
          crumbs={[
            ["Task definitions", { page: "task-definitions" }],
            ["Create new task definition", { page: "create-task-definition", mode }],
          ]}
        >
          {mode === "json" ? "Create new task definition with JSON" : "Create new task definition"}
        </DetailHeader>
      }
    >
      {mode === "json" ? <JsonEditor busy={busy} onSubmit={register} /> : <TaskDefinitionFormPage busy={busy} onSubmit={register} />}
    </ContentLayout>
  );
}

function JsonEditor({ busy, onSubmit }: { busy: boolean; onSubmit: (i: RegisterTaskDefinitionCommandInput) => Promise<void> }) {
  const { go } = useApp();
  const [text, setText] = useState(() => sessionStorage.getItem(DRAFT_KEY) ?? JSON_TEMPLATE);
  const [error, setError] = useState<string | undefined>();
  return (
    <Form
      actions={
        <SpaceBetween direction="horizontal" size="xs">
          <Button variant="link" onClick={() => go({ page: "task-definitions" })}>
            Cancel
          </Button>
          <Button
            variant="primary"
            loading={busy}
            onClick={() => {
              try {
                const input = inputFromJson(text);
                setError(undefined);
                void onSubmit(input);
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            Create
          </Button>
        </SpaceBetween>
      }
    >
      <Container>
        <FormField label="Task definition JSON" stretch errorText={error} description="As DescribeTaskDefinition or the aws CLI shows it; the fields ECS sets are left out.">
          <Textarea
            value={text}
            rows={28}
            spellcheck={false}
            onChange={(e) => {
              setText(e.detail.value);
              sessionStorage.setItem(DRAFT_KEY, e.detail.value);
            }}
            controlId="task-definition-json"
          />
        </FormField>
      </Container>
    </Form>
  );
}

function TaskDefinitionFormPage({ busy, onSubmit }: { busy: boolean; onSubmit: (i: RegisterTaskDefinitionCommandInput) => Promise<void> }) {
  const { clients, go, notifyError } = useApp();
  const [f, setF] = useState<TaskDefinitionForm>(emptyForm);
  const [submitted, setSubmitted] = useState(false);
  const errors = submitted ? checkForm(f) : {};
  const set = (patch: Partial<TaskDefinitionForm>) => setF((old) => ({ ...old, ...patch }));
  const setContainer = (i: number, patch: Partial<ContainerForm>) =>
    setF((old) => ({ ...old, containers: old.containers.map((c, j) => (j === i ? { ...c, ...patch } : c)) }));
  const size = FARGATE_SIZES.find((s) => s.cpu === f.cpu) ?? FARGATE_SIZES[2];
  // The roles ECS tasks may assume; as the AWS console does, "Create new role" makes
  // ecsTaskExecutionRole when there is none (Fargate needs one to pull from ECR and for awslogs).
  const roles = usePolled(
    async () => {
      const out: Role[] = [];
      for await (const p of paginateListRoles({ client: iamOf(clients) }, {})) out.push(...(p.Roles ?? []).filter((r) => trustsEcsTasks(r.AssumeRolePolicyDocument)));
      return out;
    },
    [clients],
    false,
  );
  const [executionRole, setExecutionRole] = useState<string>("");
  useEffect(() => {
    if (!roles.data || executionRole) return;
    const existing = roles.data.find((r) => r.RoleName === EXECUTION_ROLE_NAME);
    setExecutionRole(existing?.Arn ?? CREATE_ROLE);
  }, [roles.data, executionRole]);
  const submit = async () => {
    let executionRoleArn = executionRole;
    if (executionRole === CREATE_ROLE) {
      try {
        const made = await iamOf(clients).send(
          new CreateRoleCommand({ RoleName: EXECUTION_ROLE_NAME, AssumeRolePolicyDocument: ECS_TASKS_TRUST, Description: "Made by the wharf console" }),
        );
        await iamOf(clients).send(new AttachRolePolicyCommand({ RoleName: EXECUTION_ROLE_NAME, PolicyArn: EXECUTION_ROLE_POLICY }));
        executionRoleArn = made.Role?.Arn ?? "";
        setExecutionRole(executionRoleArn);
        roles.reload();
      } catch (e) {
        notifyError(`Role ${EXECUTION_ROLE_NAME} could not be created`, e);
        return;
      }
    }
    for (const group of logGroupsToCreate(f)) {
      try {
        await logsOf(clients).send(new CreateLogGroupCommand({ logGroupName: group }));
      } catch (e) {
        if ((e as Error).name !== "ResourceAlreadyExistsException") {
          notifyError(`Log group ${group} could not be created`, e);
          return;
        }
      }
    }
    void onSubmit(inputFromForm({ ...f, executionRoleArn }, clients.region));
  };

  return (
    <SubmitForm
      submitLabel="Create"
      busy={busy}
      onSubmit={() => {
        setSubmitted(true);
        if (Object.keys(checkForm(f)).length === 0) void submit();
      }}
      onCancel={() => go({ page: "task-definitions" })}
      errorText={Object.keys(errors).length ? "Correct the fields marked in red." : undefined}
    >
      <SpaceBetween size="l">
        <Container header={<Header variant="h2">Task definition configuration</Header>}>
          <FormField
            label="Task definition family"
            constraintText="Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed."
            errorText={errors.family}
          >
            <Input value={f.family} onChange={(e) => set({ family: e.detail.value })} controlId="family" />
          </FormField>
        </Container>
        <Container header={<Header variant="h2">Infrastructure requirements</Header>}>
          <SpaceBetween size="l">
            <RadioField
              label="Launch type"
              value={f.launchType}
              onChange={(launchType) => set({ launchType, networkMode: launchType === "FARGATE" ? "awsvpc" : f.networkMode })}
              items={[
                { value: "FARGATE", label: "AWS Fargate", description: "Serverless compute for containers." },
                { value: "EC2", label: "Amazon EC2 instances", description: "Container instances you register." },
              ]}
            />
            <ColumnLayout columns={3}>
              <FormField label="Operating system/Architecture">
                <Select
                  selectedOption={{ value: f.architecture, label: `Linux/${f.architecture}` }}
                  options={[
                    { value: "X86_64", label: "Linux/X86_64" },
                    { value: "ARM64", label: "Linux/ARM64" },
                  ]}
                  onChange={(e) => set({ architecture: e.detail.selectedOption.value as TaskDefinitionForm["architecture"] })}
                />
              </FormField>
              <FormField label="Network mode" errorText={errors.networkMode}>
                <Select
                  selectedOption={{ value: f.networkMode, label: f.networkMode }}
                  disabled={f.launchType === "FARGATE"}
                  options={["awsvpc", "bridge", "host"].map((v) => ({ value: v, label: v }))}
                  onChange={(e) => set({ networkMode: e.detail.selectedOption.value as TaskDefinitionForm["networkMode"] })}
                />
              </FormField>
            </ColumnLayout>
            <ColumnLayout columns={3}>
              <FormField label="CPU">
                <Select
                  controlId="cpu"
                  selectedOption={{ value: String(f.cpu), label: cpuLabel(f.cpu) }}
                  options={FARGATE_SIZES.map((s) => ({ value: String(s.cpu), label: cpuLabel(s.cpu) }))}
                  onChange={(e) => {
                    const cpu = Number(e.detail.selectedOption.value);
                    const allowed = FARGATE_SIZES.find((s) => s.cpu === cpu)!.memory;
                    set({ cpu, memory: allowed.includes(f.memory) ? f.memory : allowed[0] });
                  }}
                />
              </FormField>
              <FormField label="Memory" errorText={errors.memory}>
                <Select
                  controlId="memory"
                  selectedOption={{ value: String(f.memory), label: memoryLabel(f.memory) }}
                  options={size.memory.map((m) => ({ value: String(m), label: memoryLabel(m) }))}
                  onChange={(e) => set({ memory: Number(e.detail.selectedOption.value) })}
                />
              </FormField>
            </ColumnLayout>
            <ColumnLayout columns={2}>
              <FormField label="Task role - optional" description="The IAM role the containers' AWS calls use.">
                <Select
                  controlId="task-role"
                  selectedOption={f.taskRoleArn ? { value: f.taskRoleArn, label: f.taskRoleArn.split("/").pop() } : { value: "", label: "None" }}
                  statusType={roles.loading ? "loading" : "finished"}
                  options={[{ value: "", label: "None" }, ...(roles.data ?? []).map((r) => ({ value: r.Arn ?? "", label: r.RoleName, description: r.Arn }))]}
                  onChange={(e) => set({ taskRoleArn: e.detail.selectedOption.value ?? "" })}
                />
              </FormField>
              <FormField label="Task execution role" description="The IAM role that pulls images from ECR and writes logs to CloudWatch.">
                <Select
                  controlId="execution-role"
                  selectedOption={
                    executionRole === CREATE_ROLE
                      ? { value: CREATE_ROLE, label: "Create new role", description: EXECUTION_ROLE_NAME }
                      : executionRole
                        ? { value: executionRole, label: executionRole.split("/").pop() }
                        : { value: "", label: "None" }
                  }
                  statusType={roles.loading ? "loading" : "finished"}
                  options={[
                    { value: "", label: "None" },
                    ...(roles.data ?? []).map((r) => ({ value: r.Arn ?? "", label: r.RoleName, description: r.Arn })),
                    ...(roles.data?.some((r) => r.RoleName === EXECUTION_ROLE_NAME)
                      ? []
                      : [{ value: CREATE_ROLE, label: "Create new role", description: `${EXECUTION_ROLE_NAME} with AmazonECSTaskExecutionRolePolicy` }]),
                  ]}
                  onChange={(e) => setExecutionRole(e.detail.selectedOption.value ?? "")}
                />
              </FormField>
            </ColumnLayout>
          </SpaceBetween>
        </Container>
        {f.containers.map((c, i) => (
          <ContainerEditor
            key={i}
            index={i}
            container={c}
            errors={errors}
            onChange={(patch) => setContainer(i, patch)}
            onRemove={f.containers.length > 1 ? () => set({ containers: f.containers.filter((_, j) => j !== i) }) : undefined}
          />
        ))}
        {errors.containers && <Header variant="h3">{errors.containers}</Header>}
        <Button formAction="none" iconName="add-plus" onClick={() => set({ containers: [...f.containers, { ...emptyContainer(), essential: false }] })}>
          Add container
        </Button>
      </SpaceBetween>
    </SubmitForm>
  );
}

function ContainerEditor({
  index,
  container: c,
  errors,
  onChange,
  onRemove,
}: {
  index: number;
  container: ContainerForm;
  errors: Record<string, string>;
  onChange: (patch: Partial<ContainerForm>) => void;
  onRemove?: () => void;
}) {
  const key = `containers.${index}`;
  return (
    <Container
      header={
        <Header
          variant="h2"
          actions={
            onRemove && (
              <Button formAction="none" onClick={onRemove}>
                Remove
              </Button>
            )
          }
        >
          Container - {index + 1}
        </Header>
      }
    >
      <SpaceBetween size="l">
        <ColumnLayout columns={3}>
          <InputField label="Name" errorText={errors[`${key}.name`]} value={c.name} onChange={(entered) => onChange({ name: entered })} controlId={`container-${index}-name`} />
          <FormField label="Image URI" errorText={errors[`${key}.image`]}>
            <Input
              value={c.image}
              placeholder="000000000000.dkr.ecr.us-east-1.amazonaws.com/app:latest"
              onChange={(e) => onChange({ image: e.detail.value })}
              controlId={`container-${index}-image`}
            />
          </FormField>
          <FormField label="Essential container">
            <Select
              selectedOption={{ value: c.essential ? "yes" : "no", label: c.essential ? "Yes" : "No" }}
              options={[
                { value: "yes", label: "Yes" },
                { value: "no", label: "No" },
              ]}
              onChange={(e) => onChange({ essential: e.detail.selectedOption.value === "yes" })}
            />
          </FormField>
        </ColumnLayout>
        <FormField label="Port mappings">
          <AttributeEditor
            items={c.ports}
            addButtonText="Add port mapping"
            removeButtonText="Remove"
            onAddButtonClick={() => onChange({ ports: [...c.ports, { containerPort: "", protocol: "tcp", name: "" }] })}
            onRemoveButtonClick={(e) => onChange({ ports: c.ports.filter((_, j) => j !== e.detail.itemIndex) })}
            definition={[
              {
                label: "Container port",
                control: (p, j) => (
                  <Input
                    value={p.containerPort}
                    inputMode="numeric"
                    controlId={`container-${index}-port-${j}`}
                    onChange={(e) => onChange({ ports: c.ports.map((q, k) => (k === j ? { ...q, containerPort: e.detail.value } : q)) })}
                  />
                ),
                errorText: (_, j) => errors[`${key}.ports.${j}`],
              },
              {
                label: "Protocol",
                control: (p, j) => (
                  <Select
                    selectedOption={{ value: p.protocol, label: p.protocol.toUpperCase() }}
                    options={[
                      { value: "tcp", label: "TCP" },
                      { value: "udp", label: "UDP" },
                    ]}
                    onChange={(e) =>
                      onChange({ ports: c.ports.map((q, k) => (k === j ? { ...q, protocol: e.detail.selectedOption.value as "tcp" | "udp" } : q)) })
                    }
                  />
                ),
              },
              {
                label: "Port name - optional",
                control: (p, j) => (
                  <Input value={p.name} onChange={(e) => onChange({ ports: c.ports.map((q, k) => (k === j ? { ...q, name: e.detail.value } : q)) })} />
                ),
              },
            ]}
            empty="No port mappings."
          />
        </FormField>
        <FormField label="Environment variables - optional">
          <AttributeEditor
            items={c.environment}
            addButtonText="Add environment variable"
            removeButtonText="Remove"
            onAddButtonClick={() => onChange({ environment: [...c.environment, { name: "", value: "" }] })}
            onRemoveButtonClick={(e) => onChange({ environment: c.environment.filter((_, j) => j !== e.detail.itemIndex) })}
            definition={[
              {
                label: "Key",
                control: (v, j) => (
                  <Input value={v.name} onChange={(e) => onChange({ environment: c.environment.map((q, k) => (k === j ? { ...q, name: e.detail.value } : q)) })} />
                ),
                errorText: (_, j) => errors[`${key}.environment.${j}`],
              },
              {
                label: "Value",
                control: (v, j) => (
                  <Input value={v.value} onChange={(e) => onChange({ environment: c.environment.map((q, k) => (k === j ? { ...q, value: e.detail.value } : q)) })} />
                ),
              },
            ]}
            empty="No environment variables."
          />
        </FormField>
        <InputField label="Command - optional" description="Comma-separated, overrides the image's CMD: sh,-c,echo hello" value={c.command} onChange={(entered) => onChange({ command: entered })} controlId={`container-${index}-command`} />
        <ColumnLayout columns={3}>
          <InputField label="CPU - optional" description="Units reserved for this container (1024 = 1 vCPU)." value={c.cpu} inputMode="numeric" onChange={(entered) => onChange({ cpu: entered })} />
          <InputField label="Memory soft limit - optional" description="MiB." value={c.memoryReservation} inputMode="numeric" onChange={(entered) => onChange({ memoryReservation: entered })} />
          <InputField label="Health check command - optional" description="Run with CMD-SHELL every 30 s." value={c.healthCheck} placeholder="curl -f http://localhost/ || exit 1" onChange={(entered) => onChange({ healthCheck: entered })} />
        </ColumnLayout>
        <FormField label="Log collection">
          <Checkbox checked={c.logs} onChange={(e) => onChange({ logs: e.detail.checked })}>
            Use log collection: send the container's output to Amazon CloudWatch (awslogs)
          </Checkbox>
        </FormField>
      </SpaceBetween>
    </Container>
  );
}
