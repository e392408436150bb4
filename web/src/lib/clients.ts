// The AWS SDK for JavaScript v3 clients, pointed at the wharf that served this page: the
// same public API, signed with SigV4, that the aws CLI uses. Same origin, so no CORS.
import { ECSClient } from "@aws-sdk/client-ecs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { STSClient } from "@aws-sdk/client-sts";
import { IAMClient } from "@aws-sdk/client-iam";
import type { Session } from "./credentials";

export interface Clients {
  ecs: ECSClient;
  ecr: ECRClient;
  elbv2: ElasticLoadBalancingV2Client;
  logs: CloudWatchLogsClient;
  ec2: EC2Client;
  sts: STSClient;
  iam: IAMClient;
  endpoint: string;
  region: string;
}

export function makeClients(session: Session, endpoint: string): Clients {
  const config = {
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
    ec2: new EC2Client(config),
    sts: new STSClient(config),
    // IAM is global: its requests are signed for us-east-1, whatever the console's region.
    iam: new IAMClient({ ...config, region: "us-east-1" }),
    endpoint,
    region: session.region,
  };
}
