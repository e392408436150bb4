// A service's CPU and memory utilization (AWS/ECS, ClusterName and ServiceName), as the ECS
// console's "Health and metrics" tab shows them. Its own chunk: the CloudWatch client loads
// only when the tab is open.
import ColumnLayout from "@cloudscape-design/components/column-layout";
import { MetricGraph } from "./MetricGraph";

export default function ServiceMetrics({ cluster, service }: { cluster: string; service: string }) {
  const dimensions = [
    { Name: "ClusterName", Value: cluster },
    { Name: "ServiceName", Value: service },
  ];
  return (
    <ColumnLayout columns={2}>
      <MetricGraph title="CPU utilization" unit="%" metrics={["Average", "Maximum"].map((stat) => ({ namespace: "AWS/ECS", metric: "CPUUtilization", dimensions, stat, label: `CPUUtilization ${stat}` }))} />
      <MetricGraph title="Memory utilization" unit="%" metrics={["Average", "Maximum"].map((stat) => ({ namespace: "AWS/ECS", metric: "MemoryUtilization", dimensions, stat, label: `MemoryUtilization ${stat}` }))} />
    </ColumnLayout>
  );
}
