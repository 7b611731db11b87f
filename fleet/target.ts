import type { AwsProviderConfig } from "@cdktf/provider-aws/lib/provider";
import type { S3BackendConfig } from "cdktf";
import type { Problem } from "./validate/problems";

/*
 * Where the stacks deploy: real AWS (the default), or a local AWS emulator (moto) on loopback. The
 * local target is configuration only: the same constructs, with the provider and the S3 backend
 * pointed at the emulator.
 */

export type Target = { readonly kind: "aws" } | { readonly kind: "local"; readonly endpoint: string };

/**
 * Whether a stack's working directory may drop the backend it was initialised with (`terraform init
 * -reconfigure`) before a deploy or destroy. On the local AWS, yes: its endpoint is per-run configuration
 * (another port, a restarted emulator) and the state lives in the emulator. On AWS, never: a changed
 * bucket, region or key means the state has to move (`-migrate-state`), and that is the operator's call.
 */
export function reconfiguresBackends(target: Target): boolean {
  return target.kind === "local";
}

export const TARGET_ENV = "CLOUDRIM_TARGET";
export const ENDPOINT_ENV = "CLOUDRIM_LOCAL_ENDPOINT";
/** moto_server's port for this project (moto's own default, 5000, is often taken by other tools). */
export const DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:5055";

/** Every AWS API the stacks call; each must be pointed at the emulator. */
export const LOCAL_SERVICES = [
  "autoscaling",
  "cloudwatch",
  "ec2",
  "elb",
  "elbv2",
  "events",
  "iam",
  "logs",
  "route53",
  "s3",
  "ssm",
  "sts",
] as const;

/** Emulators accept any credentials; these make the SDKs sign requests without looking further. */
const LOCAL_CREDENTIALS = { accessKey: "test", secretKey: "test" } as const;

export type TargetResult =
  | { readonly ok: true; readonly target: Target }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** Reads CLOUDRIM_TARGET and CLOUDRIM_LOCAL_ENDPOINT; every problem is reported. */
export function targetFromEnv(env: NodeJS.ProcessEnv): TargetResult {
  const kind = env[TARGET_ENV] ?? "";
  if (kind === "" || kind === "aws") return { ok: true, target: { kind: "aws" } };
  if (kind !== "local") {
    return {
      ok: false,
      problems: [
        { path: TARGET_ENV, value: kind, message: 'must be "aws" (the default) or "local" (moto on loopback)' },
      ],
    };
  }
  const endpoint = env[ENDPOINT_ENV] ?? "";
  if (endpoint === "") return { ok: true, target: { kind: "local", endpoint: DEFAULT_LOCAL_ENDPOINT } };
  const problem = checkLocalEndpoint(endpoint);
  return problem === undefined
    ? { ok: true, target: { kind: "local", endpoint: endpoint.replace(/\/+$/, "") } }
    : { ok: false, problems: [problem] };
}

function checkLocalEndpoint(endpoint: string): Problem | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { path: ENDPOINT_ENV, value: endpoint, message: "must be a URL such as http://127.0.0.1:5055" };
  }
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname);
  if (url.protocol !== "http:" || !loopback || url.port === "" || url.pathname !== "/") {
    return {
      path: ENDPOINT_ENV,
      value: endpoint,
      message:
        "must be http://<loopback address>:<port> (the local AWS runs on this machine only), e.g. http://127.0.0.1:5055",
    };
  }
  return undefined;
}

/** The port of a local endpoint, e.g. 5055. */
export function endpointPort(endpoint: string): number {
  return Number(new URL(endpoint).port);
}

/** How make demo starts the local AWS (local-aws/adapters/emulator.ts), for a user who starts their own. */
export const LOCAL_AWS_COMMAND = `MOTO_IAM_LOAD_MANAGED_POLICIES=true python3 local-aws/moto_server.py -H 127.0.0.1 -p ${endpointPort(DEFAULT_LOCAL_ENDPOINT)}`;

/**
 * The AWS provider for one region of a target; with `accountId`, it refuses credentials of any other
 * account before it plans anything.
 */
export function awsProviderConfig(
  target: Target,
  region: string,
  tags: Readonly<Record<string, string>>,
  accountId?: string,
): AwsProviderConfig {
  const base: AwsProviderConfig = {
    region,
    defaultTags: [{ tags: { ...tags } }],
    ...(accountId === undefined ? {} : { allowedAccountIds: [accountId] }),
  };
  if (target.kind === "aws") return base;
  return {
    ...base,
    ...LOCAL_CREDENTIALS,
    skipCredentialsValidation: true,
    // The account id is asked for (moto answers 123456789012): without it the provider cannot tell
    // same-account security group references from cross-account ones and reports endless drift.
    skipMetadataApiCheck: "true",
    s3UsePathStyle: true,
    endpoints: [Object.fromEntries(LOCAL_SERVICES.map((service) => [service, target.endpoint]))],
  };
}

/** Extra S3 backend settings for a target (none on AWS). */
export function s3BackendOverrides(target: Target): Partial<S3BackendConfig> {
  if (target.kind === "aws") return {};
  return {
    ...LOCAL_CREDENTIALS,
    endpoints: { s3: target.endpoint, sts: target.endpoint, iam: target.endpoint },
    usePathStyle: true,
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipRegionValidation: true,
  };
}

/**
 * The fleets a command uses when CLOUDRIM_CONFIG names no file, one per target kind, each with the file
 * it comes from. The entry points pass regions/ (regions/index.ts); nothing below them imports it.
 */
export type BuiltInFleets = Readonly<Record<Target["kind"], { readonly source: string; readonly input: unknown }>>;
