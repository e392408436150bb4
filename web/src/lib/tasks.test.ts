import { describe, expect, it } from "vitest";
import { awslogsStream, taskAddresses } from "./tasks";

describe("tasks", () => {
  it("reads the ENI's address from the task's attachment", () => {
    expect(
      taskAddresses({
        attachments: [
          {
            type: "ElasticNetworkInterface",
            details: [
              { name: "subnetId", value: "subnet-1" },
              { name: "networkInterfaceId", value: "eni-1" },
              { name: "privateIPv4Address", value: "10.213.0.5" },
            ],
          },
        ],
      }),
    ).toEqual({ privateIp: "10.213.0.5", publicIp: undefined, eni: "eni-1", subnet: "subnet-1" });
  });

  it("names the awslogs stream as the driver does", () => {
    const c = { name: "web", logConfiguration: { logDriver: "awslogs" as const, options: { "awslogs-group": "/ecs/web", "awslogs-stream-prefix": "ecs" } } };
    expect(awslogsStream(c, "0123abcd")).toEqual({ group: "/ecs/web", stream: "ecs/web/0123abcd" });
    expect(awslogsStream({ name: "x" }, "1")).toBeUndefined();
    expect(awslogsStream({ name: "x", logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "g" } } }, "1")).toEqual({
      group: "g",
      stream: "1/x",
    });
  });
});
