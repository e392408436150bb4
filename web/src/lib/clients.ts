// The AWS SDK for JavaScript v3 clients, pointed at the wharf that served this page: the
// same public API, signed with SigV4, that the aws CLI uses. Same origin, so no CORS.
import { ECSClient } from "@aws-sdk/client-ecs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { STSClient } from "@aws-sdk/client-sts";
import type { Session } from "./credentials";

export interface Clients {
  ecs: ECSClient;
  ecr: ECRClient;
  elbv2: ElasticLoadBalancingV2Client;
  logs: CloudWatchLogsClient;
  sts: STSClient;
  endpoint: string;
  region: string;
  // What every client is made with; EC2's and IAM's are made by the pages that use them
  // (lib/ec2.ts, lib/iam.ts): EC2's client is the largest part of the SDK.
  config: ClientConfig;
}

export interface ClientConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
}

export function makeClients(session: Session, endpoint: string): Clients {
  const config: ClientConfig = {
    region: session.region,
    endpoint,
    credentials: {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
    },
    maxAttempts: 2,
  };
  return {
    ecs: new ECSClient(config),
    ecr: new ECRClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    logs: new CloudWatchLogsClient(config),
    sts: new STSClient(config),
    endpoint,
    region: session.region,
    config,
  };
}
