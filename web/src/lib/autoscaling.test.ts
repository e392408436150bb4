import { describe, expect, it } from "vitest";
import { describePolicy, serviceResourceId } from "./autoscaling";

describe("service auto scaling", () => {
  it("names the service as Application Auto Scaling does", () => {
    expect(serviceResourceId("prod", "web")).toBe("service/prod/web");
  });

  it("words target tracking and step policies", () => {
    expect(describePolicy({
      PolicyName: "cpu", PolicyType: "TargetTrackingScaling", PolicyARN: "a", ServiceNamespace: "ecs", ResourceId: "r",
      ScalableDimension: "ecs:service:DesiredCount", CreationTime: new Date(0),
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" } },
    })).toBe("Target tracking: ECSServiceAverageCPUUtilization at 50");
    expect(describePolicy({
      PolicyName: "steps", PolicyType: "StepScaling", PolicyARN: "a", ServiceNamespace: "ecs", ResourceId: "r",
      ScalableDimension: "ecs:service:DesiredCount", CreationTime: new Date(0),
      StepScalingPolicyConfiguration: { AdjustmentType: "ChangeInCapacity", StepAdjustments: [
        { MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }, { MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }] },
    })).toBe("Step scaling: ChangeInCapacity +2 (>= 0), -1 (< 0)");
  });
});
