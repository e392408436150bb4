import { ECSClient } from "@aws-sdk/client-ecs";
import { clientOf } from "./clients";

export const ecsOf = clientOf((config) => new ECSClient(config));
