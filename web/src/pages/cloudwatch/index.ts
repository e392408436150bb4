// The CloudWatch metrics and alarms pages, one chunk (pages/Page.tsx loads it on first visit).
export { Metrics } from "./Metrics";
export { Alarms } from "./Alarms";
