// A URL for every resource: the console routes on the location's hash (#/ecs/clusters/demo),
// so wharf serves one index.html and any path below /console is a real file or nothing.

import { taskDefinitionName } from "./status";

export type Route =
  | { page: "signin" }
  | { page: "clusters" }
  | { page: "cluster"; cluster: string; tab?: string }
  | { page: "create-service"; cluster: string }
  | { page: "service"; cluster: string; service: string; tab?: string }
  | { page: "task"; cluster: string; task: string; tab?: string }
  | { page: "task-definitions" }
  | { page: "task-definition-family"; family: string }
  | { page: "task-definition"; family: string; revision: string; tab?: string }
  | { page: "create-task-definition"; mode: "form" | "json" }
  | { page: "repositories" }
  | { page: "repository"; repository: string }
  | { page: "load-balancers" }
  | { page: "load-balancer"; name: string }
  | { page: "target-groups" }
  | { page: "target-group"; name: string }
  | { page: "security-groups" }
  | { page: "security-group"; id: string; tab?: string }
  | { page: "vpcs" }
  | { page: "vpc"; id: string }
  | { page: "subnets" }
  | { page: "subnet"; id: string }
  | { page: "listener"; name: string; port: string }
  | { page: "metrics"; namespace?: string; metric?: string; dimensions?: string }
  | { page: "alarms" }
  | { page: "log-groups" }
  | { page: "log-group"; group: string }
  | { page: "log-stream"; group: string; stream: string }
  | { page: "not-found"; path: string };

const seg = encodeURIComponent;

export function formatRoute(r: Route): string {
  switch (r.page) {
    case "signin": return "#/signin";
    case "clusters": return "#/ecs/clusters";
    case "cluster": return `#/ecs/clusters/${seg(r.cluster)}${r.tab ? `?tab=${seg(r.tab)}` : ""}`;
    case "create-service": return `#/ecs/clusters/${seg(r.cluster)}/create-service`;
    case "service":
      return `#/ecs/clusters/${seg(r.cluster)}/services/${seg(r.service)}${r.tab ? `?tab=${seg(r.tab)}` : ""}`;
    case "task":
      return `#/ecs/clusters/${seg(r.cluster)}/tasks/${seg(r.task)}${r.tab ? `?tab=${seg(r.tab)}` : ""}`;
    case "task-definitions": return "#/ecs/task-definitions";
    case "task-definition-family": return `#/ecs/task-definitions/${seg(r.family)}`;
    case "task-definition":
      return `#/ecs/task-definitions/${seg(r.family)}/${seg(r.revision)}${r.tab ? `?tab=${seg(r.tab)}` : ""}`;
    case "create-task-definition": return r.mode === "json" ? "#/ecs/create-task-definition?mode=json" : "#/ecs/create-task-definition";
    case "repositories": return "#/ecr/repositories";
    case "repository": return `#/ecr/repositories/${seg(r.repository)}`;
    case "load-balancers": return "#/ec2/load-balancers";
    case "load-balancer": return `#/ec2/load-balancers/${seg(r.name)}`;
    case "target-groups": return "#/ec2/target-groups";
    case "target-group": return `#/ec2/target-groups/${seg(r.name)}`;
    case "security-groups": return "#/ec2/security-groups";
    case "security-group": return `#/ec2/security-groups/${seg(r.id)}${r.tab ? `?tab=${seg(r.tab)}` : ""}`;
    case "vpcs": return "#/vpc/vpcs";
    case "vpc": return `#/vpc/vpcs/${seg(r.id)}`;
    case "subnets": return "#/vpc/subnets";
    case "subnet": return `#/vpc/subnets/${seg(r.id)}`;
    case "listener": return `#/ec2/load-balancers/${seg(r.name)}/listeners/${seg(r.port)}`;
    case "metrics": {
      const q = new URLSearchParams();
      if (r.namespace) q.set("namespace", r.namespace);
      if (r.metric) q.set("metric", r.metric);
      if (r.dimensions) q.set("dimensions", r.dimensions);
      const text = q.toString();
      return `#/cloudwatch/metrics${text ? `?${text}` : ""}`;
    }
    case "alarms": return "#/cloudwatch/alarms";
    case "log-groups": return "#/logs/log-groups";
    case "log-group": return `#/logs/log-groups/${seg(r.group)}`;
    case "log-stream": return `#/logs/log-groups/${seg(r.group)}/streams/${seg(r.stream)}`;
    case "not-found": return `#${r.path}`;
  }
}

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/ecs/clusters";
  const [path, query = ""] = raw.split("?", 2);
  const params = new URLSearchParams(query);
  const tab = params.get("tab") ?? undefined;
  let parts: string[];
  try {
    parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  } catch {
    return { page: "not-found", path };
  }
  const [a, b, c, d, e] = parts;
  const n = parts.length;
  if (n === 1 && a === "signin") return { page: "signin" };
  if (a === "ecs") {
    if (b === "clusters") {
      if (n === 2) return { page: "clusters" };
      if (n === 3) return { page: "cluster", cluster: c, tab };
      if (n === 4 && d === "create-service") return { page: "create-service", cluster: c };
      if (n === 5 && d === "services") return { page: "service", cluster: c, service: e, tab };
      if (n === 5 && d === "tasks") return { page: "task", cluster: c, task: e, tab };
    }
    if (b === "task-definitions") {
      if (n === 2) return { page: "task-definitions" };
      if (n === 3) return { page: "task-definition-family", family: c };
      if (n === 4) return { page: "task-definition", family: c, revision: d, tab };
    }
    if (b === "create-task-definition" && n === 2) {
      return { page: "create-task-definition", mode: params.get("mode") === "json" ? "json" : "form" };
    }
  }
  if (a === "ecr" && b === "repositories") {
    if (n === 2) return { page: "repositories" };
    // Repository names may hold slashes (team/app): everything after repositories/ is the name.
    return { page: "repository", repository: parts.slice(2).join("/") };
  }
  if (a === "ec2") {
    if (b === "load-balancers") {
      if (n === 5 && d === "listeners") return { page: "listener", name: c, port: e };
      return n === 2 ? { page: "load-balancers" } : n === 3 ? { page: "load-balancer", name: c } : { page: "not-found", path };
    }
    if (b === "security-groups") return n === 2 ? { page: "security-groups" } : n === 3 ? { page: "security-group", id: c, tab } : { page: "not-found", path };
    if (b === "target-groups") return n === 2 ? { page: "target-groups" } : n === 3 ? { page: "target-group", name: c } : { page: "not-found", path };
  }
  if (a === "vpc") {
    if (b === "vpcs") return n === 2 ? { page: "vpcs" } : n === 3 ? { page: "vpc", id: c } : { page: "not-found", path };
    if (b === "subnets") return n === 2 ? { page: "subnets" } : n === 3 ? { page: "subnet", id: c } : { page: "not-found", path };
  }
  if (a === "cloudwatch" && n === 2) {
    if (b === "alarms") return { page: "alarms" };
    if (b === "metrics") {
      const r: Extract<Route, { page: "metrics" }> = { page: "metrics" };
      for (const k of ["namespace", "metric", "dimensions"] as const) {
        const v = params.get(k);
        if (v) r[k] = v;
      }
      return r;
    }
  }
  if (a === "logs" && b === "log-groups") {
    if (n === 2) return { page: "log-groups" };
    if (n === 3) return { page: "log-group", group: c };
    if (n === 5 && d === "streams") return { page: "log-stream", group: c, stream: e };
  }
  return { page: "not-found", path };
}

// The breadcrumbs of a page below a cluster: Clusters, the cluster, then the pages under it.
export function clusterCrumbs(cluster: string, ...below: [string, Route][]): [string, Route][] {
  return [["Clusters", { page: "clusters" }], [cluster, { page: "cluster", cluster }], ...below];
}

// A task definition's page from its ARN (…:task-definition/family:revision).
export function taskDefinitionRoute(arn: string | undefined): Route {
  const [family, revision] = taskDefinitionName(arn).split(":");
  return { page: "task-definition", family, revision };
}
