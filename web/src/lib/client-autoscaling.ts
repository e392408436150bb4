import { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import { clientOf } from "./clients";

export const autoScalingOf = clientOf((config) => new ApplicationAutoScalingClient(config));
