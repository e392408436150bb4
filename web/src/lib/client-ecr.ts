import { ECRClient } from "@aws-sdk/client-ecr";
import { clientOf } from "./clients";

export const ecrOf = clientOf((config) => new ECRClient(config));
