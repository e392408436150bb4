// The CloudWatch client, made on first use by the pages that need it (metrics, alarms, a
// service's graphs).
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { clientOf } from "./clients";

export const cloudwatchOf = clientOf((config) => new CloudWatchClient(config));
