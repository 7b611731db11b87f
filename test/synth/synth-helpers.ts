import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Testing, type TerraformStack } from "cdktf";
import { addFleet } from "../../constructs/fleet";
import type { FleetConfig } from "../../fleet/schema";
import { shapeOrThrow } from "../../fleet/validate";
import { DEFAULT_APP } from "../fixtures";

/** The synthesized Terraform JSON of one stack, with just the parts the tests read. */
export interface StackJson {
  terraform: { backend?: Record<string, Record<string, unknown>> };
  provider: { aws: Record<string, unknown>[] };
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: unknown }>;
}

export function stackJson(stack: TerraformStack): StackJson {
  return JSON.parse(Testing.synth(stack)) as StackJson;
}

export function resourcesOf(json: StackJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(json.resource[type] ?? {});
}

/** Every `type.name` address in a stack, as a reviewer sees it in `terraform plan`. */
export function addresses(json: StackJson): string[] {
  return Object.entries(json.resource)
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

/** Drops cdktf's metadata so resource bodies can be compared. */
export function body(resource: Record<string, unknown>): Record<string, unknown> {
  const { "//": _metadata, ...rest } = resource;
  return rest;
}

// Testing.app() makes a temp directory per app and leaves it behind; share one per test file and remove it.
let outdir: string | undefined;
afterAll(() => {
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

export function synthFleet(config: FleetConfig): { app: App; stacks: ReturnType<typeof addFleet> } {
  outdir ??= mkdtempSync(join(tmpdir(), "cloudrim-synth-"));
  const app = Testing.app({ outdir });
  return { app, stacks: addFleet(app, shapeOrThrow(config, DEFAULT_APP)) };
}

/** `${aws_elb.balancers_port-9000_ABC.dns_name}` → the address `aws_elb.balancers_port-9000_ABC`. */
export function referencedAddress(expression: unknown, attribute: string): string {
  const match = /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(String(expression));
  if (match?.[2] !== attribute || match[1] === undefined) {
    throw new Error(`expected a reference to .${attribute}, got ${String(expression)}`);
  }
  return match[1];
}

/** The value, or a test failure that says what was missing. */
export function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`expected ${what}`);
  return value;
}

/** The single resource of a type (launch template, ASG, ...). */
export function onlyResource(json: StackJson, type: string): Record<string, unknown> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return defined(all[0], type)[1];
}

/** The construct-derived name of the single resource of a type (whose name matches `pattern`), as in its address. */
export function onlyName(json: StackJson, type: string, pattern?: RegExp): string {
  const all = resourcesOf(json, type).filter(([name]) => pattern === undefined || pattern.test(name));
  if (all.length !== 1)
    throw new Error(
      `expected one ${type}${pattern === undefined ? "" : ` named ${String(pattern)}`}, found ${all.length}`,
    );
  return defined(all[0], type)[0];
}
