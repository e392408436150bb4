// AWS's words for states, and the status indicator the AWS console shows beside each.

export type Indicator = "success" | "error" | "warning" | "info" | "stopped" | "pending" | "in-progress" | "loading";

const INDICATORS: Record<string, Indicator> = {
  // clusters, services, task definitions, repositories
  ACTIVE: "success",
  PROVISIONING: "in-progress",
  DEPROVISIONING: "in-progress",
  FAILED: "error",
  INACTIVE: "stopped",
  DRAINING: "in-progress",
  DELETE_IN_PROGRESS: "in-progress",
  // tasks and containers
  RUNNING: "success",
  PENDING: "pending",
  ACTIVATING: "in-progress",
  DEACTIVATING: "in-progress",
  STOPPING: "in-progress",
  DEPROVISIONED: "stopped",
  STOPPED: "stopped",
  // deployments
  PRIMARY: "success",
  COMPLETED: "success",
  IN_PROGRESS: "in-progress",
  // target health
  healthy: "success",
  unhealthy: "error",
  initial: "pending",
  draining: "in-progress",
  unused: "stopped",
  unavailable: "warning",
  // load balancers
  active: "success",
  provisioning: "in-progress",
  active_impaired: "warning",
  failed: "error",
  // health status of containers
  HEALTHY: "success",
  UNHEALTHY: "error",
  UNKNOWN: "info",
};

export function indicatorFor(state: string | undefined): Indicator {
  if (!state) return "info";
  return INDICATORS[state] ?? "info";
}

// "Active", "In progress": how the console writes a state in prose, the code as AWS sends it
// stays in the page for those who search for it.
export function stateLabel(state: string | undefined): string {
  if (!state) return "-";
  const words = state.replace(/_/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// The last part of an ARN: task/cluster/0123 -> 0123, service/cluster/web -> web.
export function arnName(arn: string | undefined): string {
  if (!arn) return "";
  const resource = arn.split(":").slice(5).join(":");
  const parts = resource.split("/");
  return parts[parts.length - 1];
}

// family:revision of a task definition ARN.
export function taskDefinitionName(arn: string | undefined): string {
  if (!arn) return "";
  const i = arn.indexOf("task-definition/");
  return i >= 0 ? arn.slice(i + "task-definition/".length) : arn;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return "-";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(2)} ${units[u]}`;
}

export function formatTime(d: Date | number | undefined): string {
  if (d === undefined) return "-";
  const date = typeof d === "number" ? new Date(d) : d;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}
