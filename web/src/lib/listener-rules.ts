// A listener rule as the load balancer console edits it: a priority, path and host
// conditions, and a forward action to one target group. Pure, so Vitest checks it.
import type { Action, Rule, RuleCondition } from "@aws-sdk/client-elastic-load-balancing-v2";

export interface ListenerRuleDraft {
  priority: string;
  paths: string; // comma-separated path patterns: /api/*, /health
  hosts: string; // comma-separated host names: api.example.com
  targetGroupArn: string;
}

export const NEW_LISTENER_RULE: ListenerRuleDraft = { priority: "", paths: "", hosts: "", targetGroupArn: "" };

const list = (text: string) => text.split(",").map((v) => v.trim()).filter((v) => v !== "");

export function checkListenerRule(d: ListenerRuleDraft, takenPriorities: number[] = []): Record<string, string> {
  const e: Record<string, string> = {};
  const p = Number(d.priority);
  if (!/^\d+$/.test(d.priority.trim()) || p < 1 || p > 50000) e.priority = "A priority is a whole number from 1 to 50000.";
  else if (takenPriorities.includes(p)) e.priority = `Priority ${p} is already used by another rule of this listener.`;
  const paths = list(d.paths);
  const hosts = list(d.hosts);
  if (!paths.length && !hosts.length) e.conditions = "Add a path or a host header condition.";
  // ELB's limits: up to five values per rule over all conditions, 128 characters each.
  if (paths.length + hosts.length > 5) e.conditions = "A rule has at most five condition values.";
  if (paths.some((v) => v.length > 128) || hosts.some((v) => v.length > 128)) e.conditions = "A condition value is at most 128 characters.";
  if (paths.some((v) => !/^[A-Za-z0-9_\-.$/~"'@:+&()!,;=*?]+$/.test(v))) e.paths = "Paths may have A-Z, a-z, 0-9, _ - . $ / ~ \" ' @ : + & ( ) ! , ; = and the wildcards * and ?.";
  if (hosts.some((v) => !/^[A-Za-z0-9\-.*?]+$/.test(v))) e.hosts = "Host names may have A-Z, a-z, 0-9, - . and the wildcards * and ?.";
  if (!d.targetGroupArn) e.targetGroup = "Choose a target group.";
  return e;
}

export function toConditions(d: ListenerRuleDraft): RuleCondition[] {
  const out: RuleCondition[] = [];
  const paths = list(d.paths);
  const hosts = list(d.hosts);
  if (paths.length) out.push({ Field: "path-pattern", PathPatternConfig: { Values: paths } });
  if (hosts.length) out.push({ Field: "host-header", HostHeaderConfig: { Values: hosts } });
  return out;
}

export function toActions(d: ListenerRuleDraft): Action[] {
  return [{ Type: "forward", TargetGroupArn: d.targetGroupArn }];
}

// What a rule's edit form starts with; undefined for rules this form cannot show faithfully
// (other condition fields or actions), which it leaves alone rather than rewrite.
export function draftOf(r: Rule): ListenerRuleDraft | undefined {
  const paths: string[] = [];
  const hosts: string[] = [];
  for (const c of r.Conditions ?? []) {
    if (c.Field === "path-pattern") paths.push(...(c.PathPatternConfig?.Values ?? c.Values ?? []));
    else if (c.Field === "host-header") hosts.push(...(c.HostHeaderConfig?.Values ?? c.Values ?? []));
    else return undefined;
  }
  const actions = r.Actions ?? [];
  if (actions.length !== 1 || actions[0].Type !== "forward") return undefined;
  const a = actions[0];
  const groups = a.ForwardConfig?.TargetGroups ?? [];
  const arn = a.TargetGroupArn ?? (groups.length === 1 ? groups[0].TargetGroupArn : undefined);
  if (!arn) return undefined;
  return { priority: r.Priority ?? "", paths: paths.join(", "), hosts: hosts.join(", "), targetGroupArn: arn };
}

// Rules in the order the load balancer evaluates them: by priority, the default last.
export function byPriority(rules: Rule[]): Rule[] {
  const key = (r: Rule) => (r.IsDefault ? Number.MAX_SAFE_INTEGER : Number(r.Priority));
  return [...rules].sort((a, b) => key(a) - key(b));
}

// The next free priority after the highest used, as the console suggests (steps of 10).
export function suggestPriority(rules: Rule[]): string {
  const used = rules.filter((r) => !r.IsDefault).map((r) => Number(r.Priority));
  const top = used.length ? Math.max(...used) : 0;
  return String(Math.min(50000, Math.floor(top / 10) * 10 + 10));
}
