// The EC2 client, made on first use by the pages that need it (it is the largest part of
// the SDK, kept out of the first page's bundle).
import { EC2Client } from "@aws-sdk/client-ec2";
import type { Clients } from "./clients";

const made = new WeakMap<Clients, EC2Client>();

export function ec2Of(clients: Clients): EC2Client {
  let c = made.get(clients);
  if (!c) {
    c = new EC2Client(clients.config);
    made.set(clients, c);
  }
  return c;
}
