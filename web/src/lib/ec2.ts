// The EC2 client, made on first use by the pages that need it (it is the largest part of
// the SDK, kept out of the first page's bundle).
import { EC2Client } from "@aws-sdk/client-ec2";
import { clientOf } from "./clients";

export const ec2Of = clientOf((config) => new EC2Client(config));
