import { describe, expect, it } from "vitest";
import { byPriority, checkListenerRule, draftOf, suggestPriority, toConditions } from "./listener-rules";

const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/0123";

describe("listener rules", () => {
  it("makes path and host conditions from comma-separated values", () => {
    expect(toConditions({ priority: "10", paths: "/api/*, /v2/*", hosts: "api.example.com", targetGroupArn: TG })).toEqual([
      { Field: "path-pattern", PathPatternConfig: { Values: ["/api/*", "/v2/*"] } },
      { Field: "host-header", HostHeaderConfig: { Values: ["api.example.com"] } },
    ]);
  });

  it("checks the priority, the conditions and the target group", () => {
    expect(checkListenerRule({ priority: "0", paths: "", hosts: "", targetGroupArn: "" })).toEqual({
      priority: expect.any(String),
      conditions: expect.any(String),
      targetGroup: expect.any(String),
    });
    expect(checkListenerRule({ priority: "10", paths: "/a", hosts: "", targetGroupArn: TG }, [10]).priority).toMatch(/already used/);
    expect(checkListenerRule({ priority: "10", paths: "/a b", hosts: "", targetGroupArn: TG }).paths).toBeDefined();
    expect(checkListenerRule({ priority: "10", paths: "/a,/b,/c", hosts: "x,y,z", targetGroupArn: TG }).conditions).toMatch(/five/);
    expect(checkListenerRule({ priority: "50000", paths: "/api/*", hosts: "*.example.com", targetGroupArn: TG })).toEqual({});
  });

  it("edits only rules it can show faithfully", () => {
    expect(
      draftOf({
        Priority: "5",
        Conditions: [{ Field: "path-pattern", Values: ["/a"] }],
        Actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 1 }] } }],
      }),
    ).toEqual({ priority: "5", paths: "/a", hosts: "", targetGroupArn: TG });
    expect(draftOf({ Priority: "5", Conditions: [{ Field: "http-header" }], Actions: [{ Type: "forward", TargetGroupArn: TG }] })).toBeUndefined();
    expect(draftOf({ Priority: "5", Conditions: [], Actions: [{ Type: "fixed-response" }] })).toBeUndefined();
  });

  it("orders rules as they are evaluated and suggests the next priority", () => {
    const rules = [{ Priority: "default", IsDefault: true }, { Priority: "20" }, { Priority: "3" }];
    expect(byPriority(rules).map((r) => r.Priority)).toEqual(["3", "20", "default"]);
    expect(suggestPriority(rules)).toBe("30");
    expect(suggestPriority([{ Priority: "default", IsDefault: true }])).toBe("10");
  });
});
