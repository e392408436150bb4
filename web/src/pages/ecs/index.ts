// The ECS pages, one chunk (pages/Page.tsx loads it on first visit).
export { Clusters } from "./Clusters";
export { ClusterDetail } from "./ClusterDetail";
export { CreateService } from "./CreateService";
export { CreateTaskDefinition } from "./CreateTaskDefinition";
export { ServiceDetail } from "./ServiceDetail";
export { TaskDefinitionFamily, TaskDefinitionRevision, TaskDefinitions } from "./TaskDefinitions";
export { TaskDetail } from "./TaskDetail";
