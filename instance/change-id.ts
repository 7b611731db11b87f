import { createHash } from "node:crypto";
import type { UserDataSpec } from "./user-data";

/**
 * Pure: the name of the change an instance runs, which every process reports (`CLOUDRIM_RELEASE`) so a
 * rollout can be watched request by request: a release's S3 key (it names its content), or, for code on
 * the image, the first 12 hex digits of a sha256 over everything that decides what the processes do: the
 * command, the Node.js, the app's files and its plain variables. Secrets are left out on purpose (their
 * values are never in the user data; their names are).
 */
export function changeId(
  spec: Pick<UserDataSpec, "command" | "runtime" | "appFiles" | "environment" | "secrets">,
): string {
  if (spec.runtime.kind === "release") return spec.runtime.release.key;
  const sorted = (record: Readonly<Record<string, string>> | undefined) =>
    Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const described = JSON.stringify({
    command: spec.command,
    node: spec.runtime.version,
    files: sorted(spec.appFiles),
    environment: sorted(spec.environment),
    secrets: (spec.secrets ?? []).map((s) => s.name),
  });
  return `sha256:${createHash("sha256").update(described).digest("hex").slice(0, 12)}`;
}
