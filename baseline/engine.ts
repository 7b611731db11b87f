/*
 * Pure: the fleet's security baseline, checked over the Terraform every stack synthesizes (the JSON cdktf
 * writes), so it judges what would be applied, whatever construct produced it. Each rule names the checkov
 * or trivy rule it mirrors, so a scanner run beside it tells the same story. Exceptions are findings
 * someone decided to accept: each names its rule, the resources it covers and why, and the plan report
 * lists them (baseline/exceptions.ts holds the project's own).
 */

type Block = Record<string, unknown>;

/** A stack's synthesized Terraform JSON: resources by type, then by name. */
export interface StackJson {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, Block>>>>;
}

export interface SynthesizedStack {
  readonly name: string;
  readonly json: StackJson;
}

export interface Finding {
  /** The rule's id, e.g. `imdsv2`. */
  readonly rule: string;
  /** The scanners' ids it mirrors, e.g. `CKV_AWS_79`. */
  readonly mirrors: readonly string[];
  readonly stack: string;
  /** The Terraform address, `aws_launch_template.service_launch-template_CDD6BC09`. */
  readonly address: string;
  readonly problem: string;
  readonly fix: string;
}

/** A finding accepted on purpose: the rule, which resources (a pattern over `stack/address`), and why. */
export interface BaselineException {
  readonly rule: string;
  readonly resources: RegExp;
  readonly reason: string;
}

export interface BaselineRule {
  readonly id: (typeof BASELINE_RULE_IDS)[number];
  readonly mirrors: readonly string[];
  /** What the rule requires, for the report and the docs. */
  readonly requires: string;
  readonly check: (stack: SynthesizedStack) => Omit<Finding, "rule" | "mirrors" | "stack">[];
}

export interface BaselineResult {
  readonly findings: readonly Finding[];
  readonly excepted: readonly { readonly finding: Finding; readonly reason: string }[];
}

const PUBLIC_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

function resources(stack: SynthesizedStack, type: string): [string, Block][] {
  return Object.entries(stack.json.resource?.[type] ?? {});
}

/** `${aws_security_group.security_lb_AD834577.id}` → `aws_security_group.security_lb_AD834577`. */
function referencedAddress(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  return /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(value)?.[1];
}

function list(value: unknown): Block[] {
  if (Array.isArray(value)) return value.filter((v): v is Block => typeof v === "object" && v !== null);
  return typeof value === "object" && value !== null ? [value as Block] : [];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** A rule's IPv4 or IPv6 CIDR, if it names one. */
function cidrOf(rule: Block): string {
  const cidr = rule.cidr_ipv4 ?? rule.cidr_ipv6;
  return typeof cidr === "string" ? cidr : "";
}

const isTrue = (value: unknown) => value === true || value === "true";

/** The load balancers (classic and v2) and the security groups each uses, with its scheme and listener ports. */
interface Balancer {
  readonly address: string;
  readonly internal: boolean;
  readonly securityGroups: readonly string[];
  /** Each listener's front port and whether it terminates TLS. */
  readonly listeners: readonly { readonly port: number; readonly tls: boolean }[];
  readonly accessLogs: boolean;
}

function balancers(stack: SynthesizedStack): Balancer[] {
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

function imdsv2(stack: SynthesizedStack) {
  return resources(stack, "aws_launch_template").flatMap(([name, template]) => {
    const options = list(template.metadata_options)[0] ?? {};
    const hops = Number(options.http_put_response_hop_limit ?? 1);
    if (options.http_tokens === "required" && hops === 1) return [];
    return [
      {
        address: `aws_launch_template.${name}`,
        problem: `instance metadata allows ${options.http_tokens === "required" ? `${hops} hops` : "IMDSv1 (http_tokens not required)"}`,
        fix: "set metadata_options http_tokens = required and http_put_response_hop_limit = 1",
      },
    ];
  });
}

function encryptedRoot(stack: SynthesizedStack) {
  return resources(stack, "aws_launch_template").flatMap(([name, template]) => {
    const volumes = list(template.block_device_mappings).map((m) => list(m.ebs)[0] ?? {});
    if (volumes.length > 0 && volumes.every((ebs) => isTrue(ebs.encrypted))) return [];
    return [
      {
        address: `aws_launch_template.${name}`,
        problem:
          volumes.length === 0 ? "the root volume's encryption is left to the image" : "a volume is not encrypted",
        fix: "give every block device mapping ebs.encrypted = true",
      },
    ];
  });
}

/** Ingress from anywhere is allowed only to a public load balancer, on exactly its listener ports. */
function noPublicIngress(stack: SynthesizedStack) {
  const lbs = balancers(stack);
  return resources(stack, "aws_vpc_security_group_ingress_rule").flatMap(([name, rule]) => {
    const cidr = cidrOf(rule);
    if (!PUBLIC_CIDRS.has(cidr)) return [];
    const group = referencedAddress(rule.security_group_id);
    const fronted = lbs.filter((lb) => lb.securityGroups.some((g) => referencedAddress(g) === group));
    const listenerOnly =
      fronted.length > 0 &&
      fronted.every((lb) => !lb.internal && lb.listeners.every((l) => l.port === rule.from_port)) &&
      rule.from_port === rule.to_port;
    if (listenerOnly) return [];
    return [
      {
        address: `aws_vpc_security_group_ingress_rule.${name}`,
        problem: `admits ${cidr} on ports ${String(rule.from_port)}-${String(rule.to_port)}, not only a public load balancer's listener`,
        fix: "narrow the CIDR (allowedCidrs), or admit anywhere only on the listener of a load balancer with internal: false",
      },
    ];
  });
}

/** Egress to anywhere on every port and protocol. */
function noOpenEgress(stack: SynthesizedStack) {
  return resources(stack, "aws_vpc_security_group_egress_rule").flatMap(([name, rule]) => {
    const cidr = cidrOf(rule);
    if (!PUBLIC_CIDRS.has(cidr)) return [];
    const everything = rule.ip_protocol === "-1" || rule.ip_protocol === "all";
    return [
      {
        address: `aws_vpc_security_group_egress_rule.${name}`,
        problem: everything
          ? `allows egress to ${cidr} on every port and protocol`
          : `allows egress to ${cidr} on port ${String(rule.from_port)}${rule.to_port === rule.from_port ? "" : `-${String(rule.to_port)}`}`,
        fix: "list the destinations the instances need in instanceEgress (a CIDR or prefix list per port)",
      },
    ];
  });
}

function descriptions(stack: SynthesizedStack) {
  const missing = (value: unknown) =>
    typeof value !== "string" || value.trim() === "" || value === "Managed by Terraform";
  const groups = resources(stack, "aws_security_group").flatMap(([name, group]) => [
    ...(missing(group.description) ? [`aws_security_group.${name}`] : []),
    ...["ingress", "egress"].flatMap((direction) =>
      list(group[direction]).some((r) => missing(r.description)) ? [`aws_security_group.${name} (${direction})`] : [],
    ),
  ]);
  const rules = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"].flatMap((type) =>
    resources(stack, type).flatMap(([name, rule]) => (missing(rule.description) ? [`${type}.${name}`] : [])),
  );
  return [...groups, ...rules].map((address) => ({
    address,
    problem: "has no description",
    fix: "say what the group or rule admits and why (description)",
  }));
}

function listenerTls(stack: SynthesizedStack) {
  return balancers(stack).flatMap((lb) =>
    !lb.internal && lb.listeners.some((l) => !l.tls)
      ? [
          {
            address: lb.address,
            problem: "is reachable from outside the VPC (internal: false) and its listener is plaintext TCP",
            fix: "set tls.certificateArn (an ACM certificate in the region) for a TLS listener, or internal: true",
          },
        ]
      : [],
  );
}

/** Access logs are all or nothing: a region that logs one load balancer's connections logs all of them. */
function accessLogs(stack: SynthesizedStack) {
  const lbs = balancers(stack);
  if (!lbs.some((lb) => lb.accessLogs)) return [];
  return lbs
    .filter((lb) => !lb.accessLogs)
    .map((lb) => ({
      address: lb.address,
      problem: "has no access logs while the region's other load balancers do",
      fix: "enable access_logs on every load balancer of the region (accessLogs)",
    }));
}

/** Every bucket this project creates: versioned, encrypted, private, TLS only, and with a lifecycle. */
function bucketBaseline(stack: SynthesizedStack) {
  const about = (type: string, bucket: string) =>
    resources(stack, type)
      .filter(([, r]) => referencedAddress(r.bucket) === bucket)
      .map(([, r]) => r);
  return resources(stack, "aws_s3_bucket").flatMap(([name]) => {
    const bucket = `aws_s3_bucket.${name}`;
    const problems: string[] = [];
    if (
      !about("aws_s3_bucket_versioning", bucket).some((v) => list(v.versioning_configuration)[0]?.status === "Enabled")
    ) {
      problems.push("versioning is not enabled (CKV_AWS_21)");
    }
    if (about("aws_s3_bucket_server_side_encryption_configuration", bucket).length === 0) {
      problems.push("no default encryption (CKV_AWS_19)");
    }
    const block = about("aws_s3_bucket_public_access_block", bucket)[0];
    if (
      block === undefined ||
      !["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every((k) =>
        isTrue(block[k]),
      )
    ) {
      problems.push("public access is not fully blocked (CKV2_AWS_6)");
    }
    const lifecycle = about("aws_s3_bucket_lifecycle_configuration", bucket).flatMap((l) => list(l.rule));
    if (!lifecycle.some((r) => list(r.noncurrent_version_expiration).length > 0)) {
      problems.push("noncurrent versions never expire (CKV2_AWS_61)");
    }
    if (!lifecycle.some((r) => list(r.abort_incomplete_multipart_upload).length > 0)) {
      problems.push("incomplete uploads are never aborted (CKV_AWS_300)");
    }
    return problems.map((problem) => ({
      address: bucket,
      problem,
      fix: "create the bucket with the state stack's settings (constructs/state-bucket-stack.ts)",
    }));
  });
}

interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly Resource?: string | readonly string[];
}

/** Every bucket denies requests without TLS. */
function bucketTlsOnly(stack: SynthesizedStack) {
  return resources(stack, "aws_s3_bucket").flatMap(([name]) => {
    const bucket = `aws_s3_bucket.${name}`;
    const policies = resources(stack, "aws_s3_bucket_policy").filter(([, p]) => referencedAddress(p.bucket) === bucket);
    if (policies.some(([, p]) => String(p.policy).includes("aws:SecureTransport"))) return [];
    return [
      {
        address: bucket,
        problem: "its policy does not deny requests without TLS",
        fix: "add a statement that denies s3:* when aws:SecureTransport is false (constructs/state-bucket-stack.ts, hardenBucket)",
      },
    ];
  });
}

/** The project's own IAM policies: no `*` action (or `service:*`) and no `*` resource. */
function iamNoWildcards(stack: SynthesizedStack) {
  return resources(stack, "aws_iam_role_policy").flatMap(([name, policy]) => {
    let statements: PolicyStatement[];
    try {
      const document = JSON.parse(String(policy.policy)) as { Statement?: PolicyStatement | PolicyStatement[] };
      statements = [document.Statement ?? []].flat();
    } catch {
      // A reference to a policy document data source: its statements are checked where they are written.
      return [];
    }
    return statements.flatMap((statement) => {
      if (statement.Effect !== "Allow") return [];
      const actions = [statement.Action ?? []].flat();
      const wildcardActions = actions.filter((a) => a === "*" || a.endsWith(":*"));
      const wildcardResource = [statement.Resource ?? []].flat().includes("*");
      if (wildcardActions.length === 0 && !wildcardResource) return [];
      return [
        {
          address: `aws_iam_role_policy.${name}`,
          problem:
            wildcardActions.length > 0
              ? `allows every action of ${wildcardActions.join(", ")}`
              : `allows ${actions.join(", ")} on every resource ("*")`,
          fix: "name the actions and the resources (ARNs) the role needs",
        },
      ];
    });
  });
}

function noPublicIp(stack: SynthesizedStack) {
  return resources(stack, "aws_launch_template").flatMap(([name, template]) => {
    const interfaces = list(template.network_interfaces);
    if (
      interfaces.length > 0 &&
      interfaces.every((i) => i.associate_public_ip_address === "false" || i.associate_public_ip_address === false)
    ) {
      return [];
    }
    return [
      {
        address: `aws_launch_template.${name}`,
        problem: "instances get a public IPv4 address wherever the subnet hands one out",
        fix: "set network_interfaces associate_public_ip_address = false (publicIp: false)",
      },
    ];
  });
}

/** Every rule's id, for the fleet file's exceptions. */
export const BASELINE_RULE_IDS = [
  "imdsv2",
  "encrypted-root",
  "no-public-ingress",
  "no-open-egress",
  "descriptions",
  "listener-tls",
  "access-logs",
  "bucket-baseline",
  "bucket-tls-only",
  "iam-no-wildcards",
  "no-public-ip",
] as const;

export const BASELINE_RULES: readonly BaselineRule[] = [
  {
    id: "imdsv2",
    mirrors: ["CKV_AWS_79", "CKV_AWS_341", "AWS-0130"],
    requires: "IMDSv2 required, hop limit 1",
    check: imdsv2,
  },
  {
    id: "encrypted-root",
    mirrors: ["CKV_AWS_8", "AWS-0131"],
    requires: "every instance volume encrypted",
    check: encryptedRoot,
  },
  {
    id: "no-public-ingress",
    mirrors: ["CKV_AWS_260", "CKV_AWS_24", "CKV_AWS_25", "AWS-0107"],
    requires: "no ingress from 0.0.0.0/0 or ::/0, except on a public load balancer's listener",
    check: noPublicIngress,
  },
  {
    id: "no-open-egress",
    mirrors: ["CKV_AWS_382", "AWS-0104"],
    requires: "no egress to 0.0.0.0/0 or ::/0",
    check: noOpenEgress,
  },
  {
    id: "descriptions",
    mirrors: ["CKV_AWS_23", "AWS-0099", "AWS-0124"],
    requires: "a description on every security group and rule",
    check: descriptions,
  },
  {
    id: "listener-tls",
    mirrors: ["CKV_AWS_127", "CKV_AWS_2", "AWS-0054"],
    requires: "a TLS listener on every load balancer reachable from outside the VPC",
    check: listenerTls,
  },
  {
    id: "access-logs",
    mirrors: ["CKV_AWS_92", "CKV_AWS_91"],
    requires: "access logs on every load balancer of a region that logs any",
    check: accessLogs,
  },
  {
    id: "bucket-baseline",
    mirrors: ["CKV_AWS_21", "CKV_AWS_19", "CKV2_AWS_6", "CKV2_AWS_61", "CKV_AWS_300", "AWS-0094"],
    requires: "buckets versioned, encrypted, private, with a lifecycle",
    check: bucketBaseline,
  },
  {
    id: "bucket-tls-only",
    mirrors: ["Security Hub S3.5"],
    requires: "buckets deny requests without TLS",
    check: bucketTlsOnly,
  },
  {
    id: "iam-no-wildcards",
    mirrors: ["CKV_AWS_63", "CKV_AWS_355", "CKV_AWS_290"],
    requires: "no * action or resource in the project's own IAM policies",
    check: iamNoWildcards,
  },
  {
    id: "no-public-ip",
    mirrors: ["CKV_AWS_88", "AWS-0164"],
    requires: "no public IPv4 on instances",
    check: noPublicIp,
  },
];

/** Every rule over every stack; findings an exception covers are set apart with its reason. */
export function checkBaseline(
  stacks: readonly SynthesizedStack[],
  exceptions: readonly BaselineException[],
  rules: readonly BaselineRule[] = BASELINE_RULES,
): BaselineResult {
  const findings: Finding[] = [];
  const excepted: { finding: Finding; reason: string }[] = [];
  for (const stack of stacks) {
    for (const rule of rules) {
      for (const found of rule.check(stack)) {
        const finding: Finding = { rule: rule.id, mirrors: rule.mirrors, stack: stack.name, ...found };
        const exception = exceptions.find(
          (e) => e.rule === rule.id && e.resources.test(`${stack.name}/${finding.address}`),
        );
        if (exception === undefined) findings.push(finding);
        else excepted.push({ finding, reason: exception.reason });
      }
    }
  }
  return { findings, excepted };
}

/**
 * An exception from the fleet file: `resources` is a pattern over `{stack}/{address}` in which `*` matches
 * anything but "/" (so `shop-prod-*` then `/aws_elb.*` covers every classic load balancer of the deployment).
 */
export function exceptionFromPattern(rule: string, pattern: string, reason: string): BaselineException {
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("[^/]*");
  return { rule, resources: new RegExp(`^${source}$`), reason };
}

/** The report's list of accepted findings: one row per rule and reason, naming every resource it covers. */
export function exceptionRows(excepted: BaselineResult["excepted"]): string[] {
  const rows = new Map<string, { rule: string; mirrors: readonly string[]; reason: string; resources: string[] }>();
  for (const { finding, reason } of excepted) {
    const key = `${finding.rule}\u0000${reason}`;
    const row = rows.get(key) ?? { rule: finding.rule, mirrors: finding.mirrors, reason, resources: [] };
    row.resources.push(`\`${finding.stack}\` \`${finding.address}\``);
    rows.set(key, row);
  }
  return [...rows.values()].map(
    (r) => `| ${r.rule} (${r.mirrors.join(", ")}) | ${r.resources.join("<br>")} | ${r.reason} |`,
  );
}

/** `listener-tls (CKV_AWS_127, …): stack aws_elb.x: is reachable…; fix: …` */
export function formatFinding(finding: Finding): string {
  return `${finding.rule} (${finding.mirrors.join(", ")}): ${finding.stack} ${finding.address}: ${finding.problem}; fix: ${finding.fix}`;
}
