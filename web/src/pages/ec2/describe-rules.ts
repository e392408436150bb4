// How the load balancer console writes a rule's conditions and actions.
import type { Action, Rule } from "@aws-sdk/client-elastic-load-balancing-v2";
import { arnName } from "../../lib/status";

export function describeAction(a: Action): string {
  switch (a.Type) {
    case "forward":
      return `Forward to ${
        a.ForwardConfig?.TargetGroups?.length
          ? a.ForwardConfig.TargetGroups.map((t) => `${arnName(t.TargetGroupArn?.replace(/\/[^/]+$/, ""))}${t.Weight !== undefined ? ` (${t.Weight})` : ""}`).join(", ")
          : arnName(a.TargetGroupArn?.replace(/\/[^/]+$/, ""))
      }`;
    case "redirect":
      return `Redirect to ${a.RedirectConfig?.Protocol ?? "#{protocol}"}://${a.RedirectConfig?.Host ?? "#{host}"}:${a.RedirectConfig?.Port ?? "#{port}"}${a.RedirectConfig?.Path ?? "/#{path}"} (${a.RedirectConfig?.StatusCode})`;
    case "fixed-response":
      return `Return fixed response ${a.FixedResponseConfig?.StatusCode}`;
    default:
      return a.Type ?? "";
  }
}

export function describeConditions(r: Rule): string {
  if (r.IsDefault) return "If no other rule applies";
  return (r.Conditions ?? [])
    .map((c) => {
      const values = c.Values ?? c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values ?? c.HttpRequestMethodConfig?.Values ?? [];
      return `${c.Field} is ${values.join(" or ")}`;
    })
    .join(" AND ");
}
