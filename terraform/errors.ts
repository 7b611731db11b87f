import type { FleetShape } from "../fleet/shape";
import { describeAmi } from "../fleet/rehearsal";

/*
 * Pure: Terraform's errors, read back into the fleet's own terms. A failed stack's summary line
 * carries Terraform's first error and the resource it is about; for the failures a user can fix in
 * the fleet config, one more line names the field and what to change.
 */

export interface TerraformError {
  /** The text after `Error: `. */
  readonly summary: string;
  /** The resource or data source the error is about, when Terraform names one. */
  readonly address?: string;
  /** The explanation paragraph after the source excerpt (a failed precondition's own message). */
  readonly detail?: string;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Terraform's first `Error:` block in some output (with or without its box-drawing margin). */
export function firstError(output: string): TerraformError | undefined {
  const lines = output
    .replace(ANSI, "")
    .split("\n")
    .map((line) => line.replace(/^[│╷╵]\s?/, "").trimEnd());
  const start = lines.findIndex((line) => /^\s*Error: /.test(line));
  if (start === -1) return undefined;
  const summary = (lines[start] ?? "").replace(/^\s*Error: /, "").trim();
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(Error|Warning): /.test(line)) break;
    block.push(line);
  }
  const withAddress = block.map((l) => /^\s*with ([^,]+),/.exec(l)?.[1]).find((a) => a !== undefined);
  const inAddress = block
    .map((l) => /^\s*on \S+ line \d+, in (?:resource\.)?([a-z0-9_]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?)/.exec(l)?.[1])
    .find((a) => a !== undefined);
  const address = withAddress ?? normalizeAddress(inAddress);
  const detail = paragraphAfterExcerpt(block);
  return {
    summary,
    ...(address === undefined ? {} : { address }),
    ...(detail === undefined ? {} : { detail }),
  };
}

/** `data.aws_ami.service_image_1234ABCD.lifecycle` → `data.aws_ami.service_image_1234ABCD`. */
function normalizeAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const parts = address.split(".");
  return parts[0] === "data" ? parts.slice(0, 3).join(".") : parts.slice(0, 2).join(".");
}

function paragraphAfterExcerpt(block: readonly string[]): string | undefined {
  // The excerpt ends with the last "NN: …" source line or value-dump line; the message follows a blank line.
  let end = -1;
  block.forEach((line, i) => {
    if (/^\s*(\d+:|├|│|└|with |on )/.test(line)) end = i;
  });
  const rest = block.slice(end + 1);
  const first = rest.findIndex((l) => l.trim() !== "");
  if (first === -1) return undefined;
  const paragraph: string[] = [];
  for (const line of rest.slice(first)) {
    if (line.trim() === "") break;
    paragraph.push(line.trim());
  }
  return paragraph.length > 0 ? paragraph.join(" ") : undefined;
}

/**
 * `no matching Route 53 Hosted Zone found (data.aws_route53_zone.zone)`: Terraform's words, and where.
 * The SDK's transport preamble (operation, status code, request id) is dropped; the AWS error code and
 * message stay.
 */
export function formatTerraformError(error: TerraformError): string {
  const summary = error.summary.replace(
    /operation error [^,]+, https response error StatusCode: (\d+), RequestID: [^,]+, (?:api error )?/,
    "HTTP $1: ",
  );
  return `${summary}${error.address === undefined ? "" : ` (${error.address})`}`;
}

/**
 * What to change in the fleet config for an error a user can fix there; undefined for the rest.
 * `stack` is the stack that failed, so the hint can name its region and fields.
 */
export function explainTerraformError(error: TerraformError, shape: FleetShape, stack: string): string | undefined {
  const regionIndex = shape.regions.findIndex((r) => r.stackName === stack);
  const region = shape.regions[regionIndex];
  const { summary, address = "" } = error;
  if (/Your query returned no results/.test(summary) && address.startsWith("data.aws_ami.") && region) {
    const ami = region.instance.ami;
    return (
      `ami: no image in ${region.region} matches ${describeAmi(ami)} for ${ami.architecture}; set ami ` +
      `(fleet-wide or in regions[${regionIndex}]) to an image id that exists in ${region.region}, or to a lookup {"owners", "name"} that finds one`
    );
  }
  if (/no matching Route ?53 Hosted Zone found/i.test(summary)) {
    const kind = region?.dns.privateZone === true ? "private" : "public";
    return (
      `domain: this account has no ${kind} hosted zone "${shape.domain}"; create it (and delegate it), ` +
      `or set createHostedZone: true to have the fleet create a public one in ${shape.state.stackName.replace(/-state$/, "-dns")}`
    );
  }
  if (/no matching EC2 VPC found/i.test(summary) && address.includes("default-vpc") && region) {
    return `regions[${regionIndex}].vpcId: ${region.region} has no default VPC; set vpcId (and subnetIds or subnetTags) in its entry`;
  }
  const duplicate = /DuplicateLoadBalancerName: .*?: (\S+)$/.exec(summary);
  if (duplicate !== null && region) {
    return (
      `deployment: a load balancer named ${duplicate[1]} already exists in ${region.region} outside this stack ` +
      "(a leftover, or another fleet with the same service and deployment names); delete it, or change service or deployment"
    );
  }
  if (/BucketAlreadyExists/.test(summary)) {
    return `state.bucket: "${shape.state.bucket}" belongs to another AWS account (bucket names are global); choose a name of your own`;
  }
  if (/BucketAlreadyOwnedByYou/.test(summary)) {
    return (
      `state.bucket: "${shape.state.bucket}" already exists in this account but its stack has no state for it at ` +
      `s3://${shape.state.bucket}/${shape.state.key}; see docs/state-and-locks.md ("Adopt an existing state bucket")`
    );
  }
  if (/AccessDenied|StatusCode: 403/.test(summary) && /S3|bucket/i.test(summary)) {
    return `state.bucket: "${shape.state.bucket}" refuses these credentials (403): it belongs to another account, or your role lacks access to it`;
  }
  const account = /AWS account ID not allowed: (\d+)/.exec(summary);
  if (account !== null) {
    const allowed = shape.accountId === undefined ? "" : ` ${shape.accountId}`;
    return (
      `accountId: these credentials belong to account ${account[1]}, not the fleet's${allowed}; ` +
      "use credentials (a profile or role) for the fleet's account, or correct accountId if the fleet moved"
    );
  }
  if (/Error acquiring the state lock/.test(summary)) {
    return `another run holds this stack's state lock: wait for it to finish; \`npm run unlock -- ${stack}\` shows who holds it and since when, and with --force releases it once that run is gone`;
  }
  return undefined;
}
