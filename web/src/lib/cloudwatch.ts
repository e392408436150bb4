// The CloudWatch client, made on first use by the pages that need it (metrics, alarms, a
// service's graphs), like EC2's (lib/ec2.ts).
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { Clients } from "./clients";

const made = new WeakMap<Clients, CloudWatchClient>();

export function cloudwatchOf(clients: Clients): CloudWatchClient {
  let c = made.get(clients);
  if (!c) {
    c = new CloudWatchClient(clients.config);
    made.set(clients, c);
  }
  return c;
}
