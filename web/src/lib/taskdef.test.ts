import { describe, expect, it } from "vitest";
import { trustsEcsTasks, ECS_TASKS_TRUST, checkForm, logGroupsToCreate, emptyContainer, emptyForm, FARGATE_SIZES, inputFromForm, inputFromJson, jsonForRevision } from "./taskdef";

describe("inputFromJson", () => {
  it("drops what ECS fills in from a described revision", () => {
    const input = inputFromJson(
      JSON.stringify({
        taskDefinitionArn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
        family: "web",
        revision: 3,
        status: "ACTIVE",
        compatibilities: ["EC2", "FARGATE"],
        registeredAt: "2026-01-01T00:00:00Z",
        containerDefinitions: [{ name: "web", image: "nginx" }],
      }),
    );
    expect(input).toEqual({ family: "web", containerDefinitions: [{ name: "web", image: "nginx" }] });
  });

  it("takes the aws CLI's output with its tags", () => {
    const input = inputFromJson(
      JSON.stringify({ taskDefinition: { family: "a", containerDefinitions: [{ name: "c", image: "i" }] }, tags: [{ key: "k", value: "v" }] }),
    );
    expect(input.family).toBe("a");
    expect(input.tags).toEqual([{ key: "k", value: "v" }]);
  });

  it("says what is wrong", () => {
    expect(() => inputFromJson("{")).toThrow(/not valid/);
    expect(() => inputFromJson("[]")).toThrow(/object/);
    expect(() => inputFromJson('{"containerDefinitions":[{}]}')).toThrow(/family/);
    expect(() => inputFromJson('{"family":"x"}')).toThrow(/containerDefinitions/);
  });

  it("round-trips the JSON view", () => {
    const json = jsonForRevision({ family: "f", revision: 2, status: "ACTIVE", containerDefinitions: [{ name: "c", image: "i" }] });
    expect(inputFromJson(json)).toEqual({ family: "f", containerDefinitions: [{ name: "c", image: "i" }] });
  });
});

describe("the form", () => {
  const seed001 = () => {
    const f = emptyForm();
    f.family = "alba-digi-task";
    f.cpu = 1024;
    f.memory = 3072;
    f.containers = [{ ...emptyContainer(), name: "alba-digi", image: "000000000000.dkr.ecr.us-east-1.amazonaws.com/alba-digi:latest" }];
    f.containers[0].ports = [{ containerPort: "5050", protocol: "tcp", name: "" }];
    return f;
  };

  it("builds seed 001's task definition: Fargate, 1 vCPU, 3 GB, port 5050, logs to CloudWatch", () => {
    const input = inputFromForm(seed001(), "us-east-1");
    expect(input).toMatchObject({
      family: "alba-digi-task",
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "1024",
      memory: "3072",
      containerDefinitions: [
        {
          name: "alba-digi",
          essential: true,
          portMappings: [{ containerPort: 5050, hostPort: 5050, protocol: "tcp" }],
          logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/alba-digi-task", "awslogs-stream-prefix": "ecs" } },
        },
      ],
    });
    expect(checkForm(seed001())).toEqual({});
    expect(logGroupsToCreate(seed001())).toEqual(["/ecs/alba-digi-task"]);
    expect(JSON.stringify(inputFromForm(seed001(), "us-east-1"))).not.toContain("awslogs-create-group");
  });

  it("refuses a memory size Fargate does not offer for the CPU", () => {
    const f = seed001();
    f.memory = 512;
    expect(checkForm(f).memory).toMatch(/not a Fargate size/);
  });

  it("needs names, images and one essential container", () => {
    const f = seed001();
    f.family = "";
    f.containers = [{ ...emptyContainer(), essential: false }];
    const e = checkForm(f);
    expect(Object.keys(e).sort()).toEqual(["containers", "containers.0.image", "containers.0.name", "family"]);
  });

  it("takes a command as the AWS console does, comma-separated", () => {
    const f = seed001();
    f.containers[0].command = "sh, -c, echo started; exec httpd -f";
    expect(inputFromForm(f, "us-east-1").containerDefinitions?.[0].command).toEqual(["sh", "-c", "echo started; exec httpd -f"]);
  });

  it("lists Fargate's sizes", () => {
    expect(FARGATE_SIZES.find((s) => s.cpu === 256)?.memory).toEqual([512, 1024, 2048]);
    expect(FARGATE_SIZES.find((s) => s.cpu === 1024)?.memory).toContain(3072);
  });
});

describe("roles", () => {
  it("lists roles that ECS tasks may assume, encoded as IAM returns them or not", () => {
    expect(trustsEcsTasks(ECS_TASKS_TRUST)).toBe(true);
    expect(trustsEcsTasks(encodeURIComponent(ECS_TASKS_TRUST))).toBe(true);
    expect(trustsEcsTasks(encodeURIComponent('{"Statement":[{"Principal":{"Service":"ec2.amazonaws.com"}}]}'))).toBe(false);
    expect(trustsEcsTasks(undefined)).toBe(false);
  });
});
