// The IAM client, made on first use by the pages that need it. IAM is global: its
// requests are signed for us-east-1, whatever the console's region.
import { IAMClient } from "@aws-sdk/client-iam";
import { clientOf } from "./clients";

export const iamOf = clientOf((config) => new IAMClient({ ...config, region: "us-east-1" }));
