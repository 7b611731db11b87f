import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FleetConfig } from "../fleet/schema";
import { IMAGE_LOCK_VERSION, lookupRegions, renderImageLock, type ImageLock } from "../images/lock";
import { shapeOrThrow } from "../fleet/validate";
import type { AppFiles } from "../instance/user-data";
import type { PortMetricSource } from "../monitoring/metrics";
import { refreshesFromAnswer, type RefreshObservation } from "../rollout/verdicts";
import type { TerraformResourceChange } from "../terraform/plan-json";
import refreshAnswers from "./aws-answers/describe-instance-refreshes.json";

/** The repository's default app (app/server.js), as instance/adapters/default-app.ts reads it for a command. */
export const DEFAULT_APP: AppFiles = { "server.js": readFileSync(join(__dirname, "..", "app", "server.js"), "utf8") };

/** A small valid fleet the tests vary one field at a time. */
export function baseFleet(overrides: Partial<FleetConfig> = {}): FleetConfig {
  return {
    deployment: "prod",
    domain: "example.com",
    allowedCidrs: ["10.0.0.0/8"],
    state: { bucket: "cloudrim-state", region: "us-east-1" },
    regions: [{ region: "us-east-1" }, { region: "us-west-2" }],
    ...overrides,
  };
}

/**
 * A lock file that answers every looked-up image of a fleet (test ids, one per region), as
 * `npm run images -- --update` would write it: what a fleet needs to synthesize on the AWS target.
 */
export function imageLockFor(config: FleetConfig): ImageLock {
  const shape = shapeOrThrow(config, DEFAULT_APP);
  return {
    version: IMAGE_LOCK_VERSION,
    images: Object.fromEntries(
      lookupRegions(shape).map((r, i) => [
        r.region,
        {
          id: `ami-0${String(i + 1).padStart(16, "0")}`,
          name: (r.instance.ami.namePattern ?? "image").replace("*", "20261101-1000"),
          created: "2026-11-01T10:00:00.000Z",
          owners: [...r.instance.ami.owners],
          namePattern: r.instance.ami.namePattern ?? "",
          architecture: r.instance.ami.architecture,
        },
      ]),
    ),
  };
}

/** Writes a fleet file and its image lock into `dir`; returns the fleet file's path. */
export function writeFleetFile(dir: string, config: FleetConfig, name = "fleet"): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  writeFileSync(join(dir, `${name}.lock.json`), renderImageLock(imageLockFor(config)));
  return file;
}

/** The example fleet of README.md's "A first deploy to AWS", as a user copies it. */
export function readmeFleet(): FleetConfig {
  return {
    service: "api",
    deployment: "prod",
    domain: "example.com",
    allowedCidrs: ["10.0.0.0/8"],
    state: { bucket: "example-terraform-state", region: "us-east-1" },
    regions: [
      { region: "us-east-1" },
      { region: "eu-west-1", instanceType: "c5.xlarge", weights: [4, 1, 1, 1, 1] },
      { region: "ap-southeast-2", vpcId: "vpc-0123abcd", subnetTags: { Tier: "private" } },
    ],
  };
}

/** A certificate ARN in `region` (ACM's format; no such certificate exists). */
export const certificateIn = (region: string) =>
  `arn:aws:acm:${region}:123456789012:certificate/0f3d1c2b-4a5e-4f60-9b7a-1c2d3e4f5a6b`;

/**
 * A fleet that uses every security option: public load balancers with TLS (classic and network),
 * proxy protocol, access logs to a bucket of its own and to one it names, deletion protection, instance
 * egress of its own choosing, releases, the app's secrets and a policy of its own, and an exception accepted on
 * purpose.
 */
export function securedFleet(): FleetConfig {
  return baseFleet({
    internal: false,
    allowedCidrs: ["0.0.0.0/0"],
    proxyProtocol: true,
    deletionProtection: true,
    loadBalancerType: "network",
    instanceEgress: [
      { prefixList: "pl-63a5400a", ports: [443] },
      { cidr: "10.20.0.0/16", ports: [5432, 6379] },
    ],
    releaseBucket: "acme-releases",
    app: {
      release: { bucket: "acme-releases", key: "releases/cloudrim/abc.tgz", sha256: "a".repeat(64) },
      environment: { LOG_LEVEL: "info" },
      secrets: {
        DB_PASSWORD: "arn:aws:ssm:{region}:123456789012:parameter/cloudrim/db-password",
        API_KEY: "arn:aws:secretsmanager:{region}:123456789012:secret:cloudrim/api-key-AbCdEf",
      },
      policyArns: ["arn:aws:iam::123456789012:policy/cloudrim-queue"],
    },
    state: { bucket: "cloudrim-state", region: "us-east-1", noncurrentVersionDays: 30 },
    baselineExceptions: [
      {
        rule: "iam-no-wildcards",
        resources: "cloudrim-prod-*/aws_iam_role_policy.instance_session-manager_*",
        reason: "Session Manager's actions have no resource-level permissions (restated by the fleet)",
      },
    ],
    regions: [
      { region: "us-east-1", tls: { certificateArn: certificateIn("us-east-1") }, accessLogs: true },
      {
        region: "eu-west-1",
        tls: { certificateArn: certificateIn("eu-west-1"), policy: "ELBSecurityPolicy-TLS13-1-3-2021-06" },
        accessLogs: { bucket: "acme-lb-logs", prefix: "eu" },
      },
    ],
  });
}

/** One resource change of a Terraform plan, as `terraform show -json` writes it. */
export const resourceChange = (
  address: string,
  actions: string[],
  before: unknown = {},
  after: unknown = {},
): TerraformResourceChange => ({
  address,
  mode: "managed",
  type: address.split(".")[0] ?? "",
  change: { actions, before, after },
});

export type RecordedRefresh = Exclude<keyof typeof refreshAnswers, "about">;

/** A recorded DescribeInstanceRefreshes answer (test/aws-answers), mapped as the deploy maps what AWS answers. */
export const recordedRefresh = (name: RecordedRefresh): RefreshObservation => {
  const [refresh] = refreshesFromAnswer(refreshAnswers[name]);
  if (refresh === undefined) throw new Error(`no refresh in ${name}`);
  return refresh;
};

/** A port behind a classic load balancer of the shop's production fleet, as alarms and the dashboard name it. */
export const classicPort = (port: number): PortMetricSource => ({
  kind: "classic",
  port,
  loadBalancerName: `shop-prod-${port}`,
});

/** A port behind a network load balancer and its target group. */
export const networkPort = (port: number): PortMetricSource => ({
  kind: "network",
  port,
  loadBalancer: `net/shop-prod-${port}/50dc6c495c0c9188`,
  targetGroup: `targetgroup/shop-prod-${port}/73e2d6bc24d8a067`,
});
