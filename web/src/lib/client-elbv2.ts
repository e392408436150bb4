import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { clientOf } from "./clients";

export const elbv2Of = clientOf((config) => new ElasticLoadBalancingV2Client(config));
