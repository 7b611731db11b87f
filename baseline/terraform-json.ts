/*
 * Pure: reading a stack's synthesized Terraform JSON (what cdktf writes) as the baseline's rules need it. The
 * JSON keeps what the construct wrote: a block may be an object or a list of them, a boolean may be `"true"`, and
 * one resource names another by an interpolation (`${aws_security_group.lb_AD834577.id}`).
 */

export type Block = Record<string, unknown>;

/** A stack's synthesized Terraform JSON: resources by type, then by name. */
export interface StackJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Block>>>>;
}

export interface SynthesizedStack {
  readonly name: string;
  readonly json: StackJson;
}

/** Every resource of a type, as [name, block]. */
export function resources(stack: SynthesizedStack, type: string): [string, Block][] {
  return Object.entries(stack.json.resource?.[type] ?? {});
}

/** `${aws_security_group.security_lb_AD834577.id}` → `aws_security_group.security_lb_AD834577`. */
export function referencedAddress(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  return /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(value)?.[1];
}

/** A nested block as a list, whether cdktf wrote one object or a list of them. */
export function list(value: unknown): Block[] {
  if (Array.isArray(value)) return value.filter((v): v is Block => typeof v === "object" && v !== null);
  return typeof value === "object" && value !== null ? [value as Block] : [];
}

export const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

export const isTrue = (value: unknown) => value === true || value === "true";

export const PUBLIC_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

/** A security group rule's IPv4 or IPv6 CIDR, if it names one. */
export function cidrOf(rule: Block): string {
  const cidr = rule.cidr_ipv4 ?? rule.cidr_ipv6;
  return typeof cidr === "string" ? cidr : "";
}

/** A load balancer (classic or v2), with its scheme, the security groups it uses and its listener ports. */
export interface Balancer {
  readonly address: string;
  readonly internal: boolean;
  readonly securityGroups: readonly string[];
  /** Each listener's front port and whether it terminates TLS. */
  readonly listeners: readonly { readonly port: number; readonly tls: boolean }[];
  readonly accessLogs: boolean;
}

export function balancers(stack: SynthesizedStack): Balancer[] {
  const classic = resources(stack, "aws_elb").map(
    ([name, lb]): Balancer => ({
      address: `aws_elb.${name}`,
      internal: isTrue(lb.internal),
      securityGroups: strings(lb.security_groups),
      listeners: list(lb.listener).map((l) => ({
        port: Number(l.lb_port),
        tls: ["SSL", "HTTPS"].includes(String(l.lb_protocol).toUpperCase()),
      })),
      accessLogs: list(lb.access_logs).some((a) => a.enabled === undefined || isTrue(a.enabled)),
    }),
  );
  const v2Listeners = resources(stack, "aws_lb_listener");
  const network = resources(stack, "aws_lb").map(([name, lb]): Balancer => {
    const address = `aws_lb.${name}`;
    return {
      address,
      internal: isTrue(lb.internal),
      securityGroups: strings(lb.security_groups),
      listeners: v2Listeners
        .filter(([, l]) => referencedAddress(l.load_balancer_arn) === address)
        .map(([, l]) => ({ port: Number(l.port), tls: ["TLS", "HTTPS"].includes(String(l.protocol).toUpperCase()) })),
      accessLogs: list(lb.access_logs).some((a) => isTrue(a.enabled)),
    };
  });
  return [...classic, ...network];
}
