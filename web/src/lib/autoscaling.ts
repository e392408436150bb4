// How the ECS console's "Service auto scaling" tab words a service's scaling: its resource id,
// and each policy in one line.
import type { ScalingPolicy } from "@aws-sdk/client-application-auto-scaling";

// Application Auto Scaling names an ECS service service/<cluster>/<service>.
export function serviceResourceId(cluster: string, service: string): string {
  return `service/${cluster}/${service}`;
}

// "Target tracking: ECSServiceAverageCPUUtilization at 50" or "Step scaling: ChangeInCapacity
// +1 (>= 0), -1 (< 0)".
export function describePolicy(p: ScalingPolicy): string {
  const t = p.TargetTrackingScalingPolicyConfiguration;
  if (t) {
    const metric = t.PredefinedMetricSpecification?.PredefinedMetricType ?? t.CustomizedMetricSpecification?.MetricName ?? "a custom metric";
    return `Target tracking: ${metric} at ${t.TargetValue}${t.DisableScaleIn ? " (scale-in disabled)" : ""}`;
  }
  const s = p.StepScalingPolicyConfiguration;
  if (s) {
    const steps = (s.StepAdjustments ?? []).map((a) => {
      const sign = (a.ScalingAdjustment ?? 0) > 0 ? "+" : "";
      const lower = a.MetricIntervalLowerBound !== undefined ? `>= ${a.MetricIntervalLowerBound}` : "";
      const upper = a.MetricIntervalUpperBound !== undefined ? `< ${a.MetricIntervalUpperBound}` : "";
      return `${sign}${a.ScalingAdjustment} (${[lower, upper].filter(Boolean).join(", ") || "any"})`;
    });
    return `Step scaling: ${s.AdjustmentType ?? "ChangeInCapacity"} ${steps.join(", ")}`.trim();
  }
  return p.PolicyType ?? "-";
}
