// Security group rules as the EC2 console edits them: a rule type (HTTP, SSH, Custom TCP...)
// that fixes the protocol and ports, a source or destination (a CIDR or another group), and
// the IpPermission the API takes. Pure, so Vitest checks it.
import type { IpPermission, SecurityGroupRule } from "@aws-sdk/client-ec2";

export interface RuleType {
  id: string;
  label: string;
  protocol: string; // "tcp", "udp", "icmp", "-1"
  ports?: [number, number]; // fixed ports; undefined: the user gives them
}

export const RULE_TYPES: RuleType[] = [
  { id: "custom-tcp", label: "Custom TCP", protocol: "tcp" },
  { id: "custom-udp", label: "Custom UDP", protocol: "udp" },
  { id: "all-tcp", label: "All TCP", protocol: "tcp", ports: [0, 65535] },
  { id: "all-udp", label: "All UDP", protocol: "udp", ports: [0, 65535] },
  { id: "all-icmp", label: "All ICMP - IPv4", protocol: "icmp", ports: [-1, -1] },
  { id: "all", label: "All traffic", protocol: "-1" },
  { id: "ssh", label: "SSH", protocol: "tcp", ports: [22, 22] },
  { id: "http", label: "HTTP", protocol: "tcp", ports: [80, 80] },
  { id: "https", label: "HTTPS", protocol: "tcp", ports: [443, 443] },
  { id: "postgres", label: "PostgreSQL", protocol: "tcp", ports: [5432, 5432] },
  { id: "mysql", label: "MYSQL/Aurora", protocol: "tcp", ports: [3306, 3306] },
];

export interface RuleDraft {
  type: string; // RuleType id
  ports: string; // "8080" or "8000-8100" for custom types
  source: string; // "0.0.0.0/0" or "sg-..."
  description: string;
}

export const NEW_RULE: RuleDraft = { type: "custom-tcp", ports: "", source: "0.0.0.0/0", description: "" };

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function isCidr(text: string): boolean {
  const m = CIDR.exec(text.trim());
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

// Problems with a draft rule, by field; empty when the API may have it.
export function checkRule(r: RuleDraft): { ports?: string; source?: string } {
  const errors: { ports?: string; source?: string } = {};
  const type = RULE_TYPES.find((t) => t.id === r.type);
  if (type && !type.ports && type.protocol !== "-1") {
    const range = parsePorts(r.ports);
    if (!range) errors.ports = "Enter a port (8080) or a range (8000-8100) from 0 to 65535.";
  }
  const src = r.source.trim();
  if (!isCidr(src) && !/^sg-[0-9a-f]+$/.test(src)) errors.source = "Enter a CIDR block (10.0.0.0/16) or a security group ID (sg-...).";
  return errors;
}

export function parsePorts(text: string): [number, number] | undefined {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5}))?\s*$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > 65535 || to > 65535 || to < from) return undefined;
  return [from, to];
}

// The IpPermission that AuthorizeSecurityGroupIngress/Egress take for a draft.
export function toPermission(r: RuleDraft): IpPermission {
  const type = RULE_TYPES.find((t) => t.id === r.type) ?? RULE_TYPES[0];
  const p: IpPermission = { IpProtocol: type.protocol };
  if (type.protocol !== "-1") {
    const [from, to] = type.ports ?? parsePorts(r.ports) ?? [0, 0];
    p.FromPort = from;
    p.ToPort = to;
  }
  const src = r.source.trim();
  const description = r.description.trim() || undefined;
  if (src.startsWith("sg-")) p.UserIdGroupPairs = [{ GroupId: src, Description: description }];
  else p.IpRanges = [{ CidrIp: src, Description: description }];
  return p;
}

// The console's columns for a rule: its type's name, protocol and port range.
export function describeRule(r: SecurityGroupRule): { type: string; protocol: string; ports: string; peer: string } {
  const protocol = r.IpProtocol ?? "-1";
  const from = r.FromPort ?? -1;
  const to = r.ToPort ?? -1;
  const known = RULE_TYPES.find((t) => t.ports && t.protocol === protocol && t.ports[0] === from && t.ports[1] === to);
  const type =
    protocol === "-1" ? "All traffic" : known ? known.label : protocol === "tcp" ? "Custom TCP" : protocol === "udp" ? "Custom UDP" : protocol.toUpperCase();
  const ports = protocol === "-1" || (from === -1 && to === -1) ? "All" : from === to ? String(from) : `${from} - ${to}`;
  const peer = r.CidrIpv4 ?? r.CidrIpv6 ?? r.ReferencedGroupInfo?.GroupId ?? r.PrefixListId ?? "-";
  return { type, protocol: protocol === "-1" ? "All" : protocol.toUpperCase(), ports, peer };
}
