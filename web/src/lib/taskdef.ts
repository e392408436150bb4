// Task definitions as the create page builds them: from JSON (what DescribeTaskDefinition
// shows, less what ECS fills in) or from the form (the choices the AWS console offers).
import type { RegisterTaskDefinitionCommandInput, TaskDefinition } from "@aws-sdk/client-ecs";

// Fields ECS sets on a registered revision; RegisterTaskDefinition refuses them as input.
const OUTPUT_ONLY = [
  "taskDefinitionArn",
  "revision",
  "status",
  "requiresAttributes",
  "compatibilities",
  "registeredAt",
  "registeredBy",
  "deregisteredAt",
  "deleteRequested",
] as const;

// RegisterTaskDefinition input from a pasted JSON document: either a task definition as
// Describe shows it (its output-only fields dropped) or `{"taskDefinition": {...}}` as the
// aws CLI prints it. Throws with a message a person can act on.
export function inputFromJson(text: string): RegisterTaskDefinitionCommandInput {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`The JSON is not valid: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new Error("The JSON must be an object.");
  let td = doc as Record<string, unknown>;
  if (td.taskDefinition && typeof td.taskDefinition === "object") {
    const tags = td.tags;
    td = { ...(td.taskDefinition as Record<string, unknown>), ...(Array.isArray(tags) && tags.length ? { tags } : {}) };
  }
  const out: Record<string, unknown> = { ...td };
  for (const k of OUTPUT_ONLY) delete out[k];
  if (typeof out.family !== "string" || !out.family) throw new Error('The task definition needs a "family".');
  if (!Array.isArray(out.containerDefinitions) || !out.containerDefinitions.length) {
    throw new Error('The task definition needs "containerDefinitions" with at least one container.');
  }
  return out as unknown as RegisterTaskDefinitionCommandInput;
}

// What the JSON tab shows for a revision, and what "Create new revision" starts from.
export function jsonForRevision(td: TaskDefinition): string {
  const copy: Record<string, unknown> = { ...td };
  for (const k of OUTPUT_ONLY) delete copy[k];
  return JSON.stringify(copy, null, 2);
}

// Fargate's task sizes: each CPU value (units, 1024 = 1 vCPU) with the memory (MiB) it allows.
export const FARGATE_SIZES: { cpu: number; memory: number[] }[] = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: [1024, 2048, 3072, 4096] },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export function cpuLabel(units: number): string {
  return `${units / 1024} vCPU`;
}

export function memoryLabel(mib: number): string {
  return mib < 1024 ? `${mib} MB` : `${mib / 1024} GB`;
}

export interface ContainerForm {
  name: string;
  image: string;
  essential: boolean;
  ports: { containerPort: string; protocol: "tcp" | "udp"; name: string }[];
  environment: { name: string; value: string }[];
  healthCheck: string; // CMD-SHELL command, empty for none
  command: string; // comma-separated, as the AWS console takes it; empty: the image's
  logs: boolean; // awslogs to /ecs/<family>
  cpu: string;
  memoryReservation: string;
}

export interface TaskDefinitionForm {
  family: string;
  launchType: "FARGATE" | "EC2";
  os: "LINUX";
  architecture: "X86_64" | "ARM64";
  networkMode: "awsvpc" | "bridge" | "host";
  cpu: number;
  memory: number;
  taskRoleArn: string;
  executionRoleArn: string;
  containers: ContainerForm[];
}

export function emptyContainer(): ContainerForm {
  return {
    name: "",
    image: "",
    essential: true,
    ports: [{ containerPort: "80", protocol: "tcp", name: "" }],
    environment: [],
    healthCheck: "",
    command: "",
    logs: true,
    cpu: "",
    memoryReservation: "",
  };
}

export function emptyForm(): TaskDefinitionForm {
  return {
    family: "",
    launchType: "FARGATE",
    os: "LINUX",
    architecture: "X86_64",
    networkMode: "awsvpc",
    cpu: 1024,
    memory: 3072,
    taskRoleArn: "",
    executionRoleArn: "",
    containers: [{ ...emptyContainer(), name: "" }],
  };
}

// The form's mistakes, by field path ("family", "containers.0.image"), in the AWS console's words.
export function checkForm(f: TaskDefinitionForm): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(f.family)) {
    errors.family = "Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.";
  }
  if (f.launchType === "FARGATE") {
    const size = FARGATE_SIZES.find((s) => s.cpu === f.cpu);
    if (!size || !size.memory.includes(f.memory)) errors.memory = `${memoryLabel(f.memory)} is not a Fargate size for ${cpuLabel(f.cpu)}.`;
    if (f.networkMode !== "awsvpc") errors.networkMode = "Fargate tasks use the awsvpc network mode.";
  }
  const names = new Set<string>();
  f.containers.forEach((c, i) => {
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(c.name)) errors[`containers.${i}.name`] = "Enter a container name: letters, numbers, hyphens and underscores.";
    else if (names.has(c.name)) errors[`containers.${i}.name`] = "Container names must be unique.";
    names.add(c.name);
    if (!c.image.trim()) errors[`containers.${i}.image`] = "Enter an image URI.";
    c.ports.forEach((p, j) => {
      const n = Number(p.containerPort);
      if (!Number.isInteger(n) || n < 1 || n > 65535) errors[`containers.${i}.ports.${j}`] = "A port is a number from 1 to 65535.";
    });
    c.environment.forEach((e, j) => {
      if (!e.name.trim()) errors[`containers.${i}.environment.${j}`] = "Enter the variable's name.";
    });
  });
  if (!f.containers.some((c) => c.essential)) errors.containers = "At least one container must be essential.";
  return errors;
}

export function inputFromForm(f: TaskDefinitionForm, region: string): RegisterTaskDefinitionCommandInput {
  return {
    family: f.family,
    requiresCompatibilities: [f.launchType],
    networkMode: f.networkMode,
    cpu: String(f.cpu),
    memory: String(f.memory),
    runtimePlatform: { operatingSystemFamily: f.os, cpuArchitecture: f.architecture },
    ...(f.taskRoleArn.trim() ? { taskRoleArn: f.taskRoleArn.trim() } : {}),
    ...(f.executionRoleArn.trim() ? { executionRoleArn: f.executionRoleArn.trim() } : {}),
    containerDefinitions: f.containers.map((c) => ({
      name: c.name,
      image: c.image.trim(),
      essential: c.essential,
      ...(c.command.trim() ? { command: splitCommand(c.command) } : {}),
      ...(c.cpu.trim() ? { cpu: Number(c.cpu) } : {}),
      ...(c.memoryReservation.trim() ? { memoryReservation: Number(c.memoryReservation) } : {}),
      portMappings: c.ports.map((p) => ({
        containerPort: Number(p.containerPort),
        ...(f.networkMode === "awsvpc" ? { hostPort: Number(p.containerPort) } : {}),
        protocol: p.protocol,
        ...(p.name.trim() ? { name: p.name.trim() } : {}),
      })),
      environment: c.environment.map((e) => ({ name: e.name.trim(), value: e.value })),
      ...(c.healthCheck.trim()
        ? { healthCheck: { command: ["CMD-SHELL", c.healthCheck.trim()], interval: 30, timeout: 5, retries: 3 } }
        : {}),
      ...(c.logs
        ? {
            logConfiguration: {
              logDriver: "awslogs",
              options: {
                // The console makes the group itself (logGroupsToCreate): with
                // awslogs-create-group the execution role would need logs:CreateLogGroup,
                // which AmazonECSTaskExecutionRolePolicy does not give, and the task would stop.
                "awslogs-group": `/ecs/${f.family}`,
                "awslogs-region": region,
                "awslogs-stream-prefix": "ecs",
              },
            },
          }
        : {}),
    })),
  };
}

// The log groups the form's containers write to (one per family), made before registering.
export function logGroupsToCreate(f: TaskDefinitionForm): string[] {
  return f.containers.some((c) => c.logs) ? [`/ecs/${f.family}`] : [];
}

// "sh,-c,echo hi": the AWS console's comma-separated command field.
export function splitCommand(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

// The role the AWS console offers to create for pulling images and writing logs.
export const EXECUTION_ROLE_NAME = "ecsTaskExecutionRole";
export const EXECUTION_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
export const ECS_TASKS_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

// Whether a role's trust policy lets ECS tasks assume it (the roles the role pickers list).
export function trustsEcsTasks(document: string | undefined): boolean {
  if (!document) return false;
  let text = document;
  try {
    text = decodeURIComponent(document);
  } catch {
    // not encoded
  }
  return text.includes("ecs-tasks.amazonaws.com");
}
