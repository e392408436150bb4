import { describe, expect, it } from "vitest";
import { arnName, formatBytes, indicatorFor, stateLabel, taskDefinitionName } from "./status";

describe("status", () => {
  it("maps ECS and ELB states to the indicators the AWS console shows", () => {
    expect(indicatorFor("RUNNING")).toBe("success");
    expect(indicatorFor("PENDING")).toBe("pending");
    expect(indicatorFor("STOPPED")).toBe("stopped");
    expect(indicatorFor("unhealthy")).toBe("error");
    expect(indicatorFor("something new")).toBe("info");
  });

  it("writes states in prose", () => {
    expect(stateLabel("IN_PROGRESS")).toBe("In progress");
    expect(stateLabel("active")).toBe("Active");
  });

  it("names resources by their ARN's last part", () => {
    expect(arnName("arn:aws:ecs:us-east-1:000000000000:task/alba/0123abcd")).toBe("0123abcd");
    expect(arnName("arn:aws:ecs:us-east-1:000000000000:cluster/alba")).toBe("alba");
    expect(taskDefinitionName("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3")).toBe("web:3");
  });

  it("sizes images", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.00 MB");
  });
});
