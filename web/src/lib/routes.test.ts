import { describe, expect, it } from "vitest";
import { clusterCrumbs, formatRoute, parseRoute, Route, taskDefinitionRoute } from "./routes";

describe("routes", () => {
  const cases: Route[] = [
    { page: "clusters" },
    { page: "cluster", cluster: "alba-digi-cluster", tab: "tasks" },
    { page: "service", cluster: "c", service: "web", tab: undefined },
    { page: "task", cluster: "c", task: "0123abcd", tab: "logs" },
    { page: "task-definition", family: "alba-digi-task", revision: "3", tab: undefined },
    { page: "create-task-definition", mode: "json" },
    { page: "log-stream", group: "/ecs/alba-digi-task", stream: "ecs/web/0123" },
    { page: "load-balancer", name: "alba-digi-alb" },
    { page: "listener", name: "alba-digi-alb", port: "80" },
    { page: "security-group", id: "sg-0123", tab: "outbound" },
    { page: "vpc", id: "vpc-0123" },
    { page: "subnet", id: "subnet-0123" },
    { page: "metrics", namespace: "AWS/ECS", metric: "CPUUtilization", dimensions: "ClusterName=c,ServiceName=web" },
    { page: "metrics" },
    { page: "alarms" },
  ];
  for (const r of cases) {
    it(`round-trips ${formatRoute(r)}`, () => {
      expect(parseRoute(formatRoute(r))).toEqual(r);
    });
  }

  it("keeps slashes of a log group name inside one segment", () => {
    expect(formatRoute({ page: "log-group", group: "/ecs/x" })).toBe("#/logs/log-groups/%2Fecs%2Fx");
  });

  it("takes every segment after repositories/ as the repository name", () => {
    expect(parseRoute("#/ecr/repositories/team/app")).toEqual({ page: "repository", repository: "team/app" });
  });

  it("leads a page below a cluster's crumbs with the clusters list and the cluster", () => {
    expect(clusterCrumbs("c", ["Tasks", { page: "cluster", cluster: "c", tab: "tasks" }])).toEqual([
      ["Clusters", { page: "clusters" }],
      ["c", { page: "cluster", cluster: "c" }],
      ["Tasks", { page: "cluster", cluster: "c", tab: "tasks" }],
    ]);
  });

  it("takes a task definition's page from its ARN", () => {
    expect(taskDefinitionRoute("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3")).toEqual({ page: "task-definition", family: "web", revision: "3" });
  });

  it("opens on the clusters list", () => {
    expect(parseRoute("")).toEqual({ page: "clusters" });
  });

  it("says what it does not know", () => {
    expect(parseRoute("#/nowhere/at/all")).toEqual({ page: "not-found", path: "/nowhere/at/all" });
  });
});
