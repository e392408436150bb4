// The IAM client, made on first use by the pages that need it. IAM is global: its
// requests are signed for us-east-1, whatever the console's region.
import { IAMClient } from "@aws-sdk/client-iam";
import type { Clients } from "./clients";

const made = new WeakMap<Clients, IAMClient>();

export function iamOf(clients: Clients): IAMClient {
  let c = made.get(clients);
  if (!c) {
    c = new IAMClient({ ...clients.config, region: "us-east-1" });
    made.set(clients, c);
  }
  return c;
}
