// Facts about a task that the API leaves spread over its attachments and its definition.
import type { ContainerDefinition, Task } from "@aws-sdk/client-ecs";

export function taskAddresses(t: Task): { privateIp?: string; publicIp?: string; eni?: string; subnet?: string } {
  const eni = t.attachments?.find((a) => a.type === "ElasticNetworkInterface");
  const detail = (name: string) => eni?.details?.find((d) => d.name === name)?.value;
  return {
    privateIp: detail("privateIPv4Address") ?? t.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address,
    publicIp: detail("publicIPv4Address"),
    eni: detail("networkInterfaceId"),
    subnet: detail("subnetId"),
  };
}

// The CloudWatch Logs stream the awslogs driver writes a container's output to:
// <prefix>/<container name>/<task id> when a stream prefix is set (as Fargate requires),
// else <task id>/<container name> (src/agent/log_shipper.cc).
export function awslogsStream(c: ContainerDefinition, taskId: string): { group: string; stream: string } | undefined {
  const options = c.logConfiguration?.options ?? {};
  const group = options["awslogs-group"];
  const prefix = options["awslogs-stream-prefix"];
  if (!group) return undefined;
  return { group, stream: prefix ? `${prefix}/${c.name}/${taskId}` : `${taskId}/${c.name}` };
}
