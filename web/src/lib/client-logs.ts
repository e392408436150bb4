import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { clientOf } from "./clients";

export const logsOf = clientOf((config) => new CloudWatchLogsClient(config));
