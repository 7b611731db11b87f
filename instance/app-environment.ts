import { AWS_REGIONS } from "../fleet/aws-facts";
import { appPaths } from "./release";

/*
 * Pure: a service's own configuration. `app.environment` holds plain variables, written into the run
 * script beside the fleet's own (they are not secret: they are in the user data). `app.secrets` maps a
 * variable to the ARN of an SSM parameter or a Secrets Manager secret, `{region}` standing for each region
 * of the fleet; only names and ARNs ever leave this program. Each instance reads the values at boot with
 * its own role into a file only root can read, and each process's run script (run by runsv as root) loads
 * it before chpst drops to the service user. Not chpst's envdir: it keeps only a file's first line and
 * strips trailing blanks, so a PEM key or a password ending in a space would arrive changed (checked with
 * Debian 12's runit 2.1.2).
 */

/** The variables the fleet sets for every process itself: in the run script, and in each service's envdir. */
export const FLEET_VARIABLES = {
  port: "PORT",
  healthPath: "HEALTH_PATH",
  path: "PATH",
  /** The change the process runs (instance/change-id.ts). */
  release: "CLOUDRIM_RELEASE",
  /** The instance's id, as its metadata service gives it at boot. */
  instance: "CLOUDRIM_INSTANCE_ID",
} as const;
export const FLEET_VARIABLE_NAMES: readonly string[] = Object.values(FLEET_VARIABLES);

/** A name a POSIX shell can export, and so one the run script can set. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Stands for each region of the fleet in a secret's ARN: every region reads its own copy. */
export const REGION_PLACEHOLDER = "{region}";

const PARTITION = "aws(?:-cn|-us-gov)?";
const ARN_REGION = "(\\{region\\}|[a-z0-9-]+)";

/** `arn:aws:ssm:{region}:123456789012:parameter/app/db-password`: a parameter of any type, SecureString included. */
export const SSM_PARAMETER_ARN = new RegExp(
  `^arn:(${PARTITION}):ssm:${ARN_REGION}:(\\d{12}):parameter/[A-Za-z0-9_./-]{1,1011}$`,
);

/**
 * `arn:aws:secretsmanager:{region}:123456789012:secret:app/api-key-AbCdEf`: the full ARN, with the six
 * characters Secrets Manager appends to the name (they change when a secret is deleted and made again, so
 * the role never reads a namesake).
 */
export const SECRETSMANAGER_SECRET_ARN = new RegExp(
  `^arn:(${PARTITION}):secretsmanager:${ARN_REGION}:(\\d{12}):secret:[A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6}$`,
);

/** An AWS managed policy (`arn:aws:iam::aws:policy/…`) or one of an account (`arn:aws:iam::123456789012:policy/path/name`). */
export const IAM_POLICY_ARN = /^arn:aws(-cn|-us-gov)?:iam::(aws|\d{12}):policy\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;

export const SECRET_ARN_SHAPE =
  'must be the ARN of an SSM parameter ("arn:aws:ssm:{region}:123456789012:parameter/app/db-password") or of a Secrets Manager secret with its six-character suffix ("arn:aws:secretsmanager:{region}:123456789012:secret:app/api-key-AbCdEf"); {region} stands for each region of the fleet';

export type SecretStore = "ssm" | "secretsmanager";

export interface SecretArnParts {
  readonly store: SecretStore;
  readonly partition: string;
  /** A region, or `{region}`. */
  readonly region: string;
  readonly account: string;
}

export function parseSecretArn(arn: string): SecretArnParts | undefined {
  for (const [store, shape] of [
    ["ssm", SSM_PARAMETER_ARN],
    ["secretsmanager", SECRETSMANAGER_SECRET_ARN],
  ] as const) {
    const match = shape.exec(arn);
    if (match !== null) return { store, partition: match[1] ?? "", region: match[2] ?? "", account: match[3] ?? "" };
  }
  return undefined;
}

/** Why a secret's ARN cannot be used, or undefined when it can. */
export function secretArnProblem(arn: string): string | undefined {
  const parts = parseSecretArn(arn);
  if (parts === undefined) return SECRET_ARN_SHAPE;
  if (parts.region !== REGION_PLACEHOLDER && !AWS_REGIONS.includes(parts.region)) {
    return `names the region "${parts.region}", which is not a known AWS region: write {region} for each region's own copy, or a region such as us-east-1 to read that one copy from every region`;
  }
  return undefined;
}

/** Why a variable name cannot be used in `app.environment` or `app.secrets`, or undefined when it can. */
export function variableNameProblem(name: string): string | undefined {
  if (!VARIABLE_NAME.test(name)) {
    return "must be an environment variable name: letters, digits and _, not starting with a digit";
  }
  if (FLEET_VARIABLE_NAMES.includes(name)) {
    return `is set by the fleet itself for every process (${FLEET_VARIABLE_NAMES.join(", ")}); use another name`;
  }
  return undefined;
}

/** One secret as the instances of one region read it. */
export interface SecretSource {
  /** The variable each process gets. */
  readonly name: string;
  readonly store: SecretStore;
  /** The ARN, `{region}` replaced by the instance's region. */
  readonly arn: string;
  /** The ARN's region: the API the instance calls, and the KMS key that decrypts it. */
  readonly region: string;
  readonly partition: string;
  readonly account: string;
}

/** The region's secrets, by variable name, `{region}` replaced. Assumes validated ARNs. */
export function planSecrets(secrets: Readonly<Record<string, string>>, region: string): SecretSource[] {
  return Object.keys(secrets)
    .sort()
    .map((name) => {
      const arn = (secrets[name] ?? "").replaceAll(REGION_PLACEHOLDER, region);
      const parts = parseSecretArn(arn);
      if (parts === undefined) throw new Error(`app.secrets.${name}: ${arn} is not a validated ARN`);
      return { name, arn, ...parts };
    });
}

/**
 * `ssm.eu-west-1.amazonaws.com`: where an instance asks for a secret, and the name KMS sees the request
 * come through (`kms:ViaService`). China's partition has its own domain.
 */
export function secretServiceHost(secret: Pick<SecretSource, "store" | "region" | "partition">): string {
  return `${secret.store}.${secret.region}.${secret.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"}`;
}

/** Where the boot leaves the values: readable by root only, loaded by every process's run script. */
export function secretsFilePath(service: string): string {
  return `/etc/${service}/secrets`;
}

/** The script that turns one answer of SSM or Secrets Manager into a line for sh. */
export function secretReaderPath(service: string): string {
  return `/usr/local/lib/${service}/read-secret.js`;
}

/** The boot's tries at one secret before it abandons the launch, as for a download. */
export const SECRET_ATTEMPTS = 5;

/**
 * Run by the fleet's own Node.js (installed and verified before the secrets are read): one answer of
 * GetParameter or GetSecretValue on stdin; prints `export NAME='value'` (single-quoted, so nothing in the
 * value is ever interpreted by the shell that loads it), or one line that says what AWS answered, never
 * the value. JSON is parsed by a JSON parser, not sed: a secret may hold any character.
 */
export function secretReaderScript(): string {
  return String.raw`"use strict";
// cloudrim-fleet: node read-secret.js ssm|secretsmanager NAME HTTP_STATUS < answer
const [store, name, status] = process.argv.slice(2);
function fail(reason) {
  process.stderr.write(reason + "\n");
  process.exit(1);
}
let answer;
try {
  answer = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
} catch {
  fail("no answer from AWS (HTTP " + (status || "none") + ")");
}
if (answer === null || typeof answer !== "object") fail("no answer from AWS (HTTP " + status + ")");
if (status !== "200") fail(String(answer.__type || "an error").split("#").pop() + " (HTTP " + status + ")");
const value = store === "ssm" ? (answer.Parameter || {}).Value : answer.SecretString;
if (typeof value !== "string") {
  fail(store === "ssm" ? "the answer holds no value" : "it holds no SecretString (a binary secret cannot be an environment variable)");
}
if (value.includes("\0")) fail("the value holds a NUL character, which no environment variable can");
process.stdout.write("export " + name + "='" + value.split("'").join("'\\''") + "'\n");
`;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The boot's step that reads every secret, for a script that has `say`, `abandon`, `$root` and the
 * instance API library (`role_credentials`): each call is signed with the role's session (curl's
 * `--aws-sigv4`), bounded like every other call, and retried as a download is; the values go straight
 * from curl's answer file to the secrets file, both in a directory only root can enter, and nothing
 * prints them (no `set -x`). A secret that cannot be read abandons the launch, naming it and what AWS
 * answered. CLOUDRIM_SSM_ENDPOINT and CLOUDRIM_SECRETSMANAGER_ENDPOINT point the calls at a local AWS
 * (the host sandbox); on an instance they are unset.
 */
export function readSecretsLines(service: string, secrets: readonly SecretSource[]): string[] {
  if (secrets.length === 0) return [];
  const file = secretsFilePath(service);
  const directory = file.slice(0, file.lastIndexOf("/"));
  const node = `"$root${appPaths(service).base}/node/bin/node"`;
  return [
    "# The app's secrets, read with the role's credentials into a file only root can read; never printed.",
    `secrets="$root${file}"`,
    `{ mkdir -p "$root${directory}" && chmod 0700 "$root${directory}" && : >"$secrets.new" && chmod 0600 "$secrets.new"; } || abandon "${file} could not be written"`,
    "# read_secret NAME STORE REGION HOST ARN: appends NAME's export line to $secrets.new, or abandons the launch.",
    "read_secret() {",
    '  case "$2" in',
    '    ssm) endpoint="${CLOUDRIM_SSM_ENDPOINT:-https://$4}" target=AmazonSSM.GetParameter body="{\\"Name\\":\\"$5\\",\\"WithDecryption\\":true}" ;;',
    '    *) endpoint="${CLOUDRIM_SECRETSMANAGER_ENDPOINT:-https://$4}" target=secretsmanager.GetSecretValue body="{\\"SecretId\\":\\"$5\\"}" ;;',
    "  esac",
    "  attempt=1",
    "  while :; do",
    '    : >"$secrets.answer"',
    `    status=$(role_credentials | curl -sS --connect-timeout 5 --max-time 30 --retry 3 --retry-delay 2 -K - --aws-sigv4 "aws:amz:$3:$2" -X POST -H "X-Amz-Target: $target" -H 'Content-Type: application/x-amz-json-1.1' --data-binary "$body" -o "$secrets.answer" -w '%{http_code}' "$endpoint/")`,
    `    reason=$(${node} "$root${secretReaderPath(service)}" "$2" "$1" "$status" <"$secrets.answer" 2>&1 >>"$secrets.new") && break`,
    `    say "secret $1 ($5): $reason (attempt $attempt of ${SECRET_ATTEMPTS})"`,
    `    [ "$attempt" -ge ${SECRET_ATTEMPTS} ] && { rm -f "$secrets.answer" "$secrets.new"; abandon "secret $1 could not be read from $5: $reason"; }`,
    "    sleep $((attempt * ${CLOUDRIM_RETRY_SECONDS:-5}))",
    "    attempt=$((attempt + 1))",
    "  done",
    '  rm -f "$secrets.answer"',
    "}",
    ...secrets.map((s) => `read_secret ${s.name} ${s.store} ${s.region} ${secretServiceHost(s)} ${shellQuote(s.arn)}`),
    `mv "$secrets.new" "$secrets" || abandon "${file} could not be written"`,
    `say "read ${secrets.length} secret${secrets.length === 1 ? "" : "s"} into ${file}: ${secrets.map((s) => s.name).join(", ")}"`,
  ];
}
