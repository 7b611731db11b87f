import { parse } from "yaml";

/** The parts of a #cloud-config the sandbox applies (what instance/user-data.ts writes). */
export interface CloudConfig {
  readonly packages: readonly string[];
  readonly users: readonly (string | { readonly name: string; readonly system?: boolean; readonly shell?: string })[];
  readonly write_files: readonly { readonly path: string; readonly permissions: string; readonly content: string }[];
  readonly runcmd: readonly (string | readonly string[])[];
}

export function parseCloudConfig(text: string): CloudConfig {
  if (!text.startsWith("#cloud-config\n")) throw new Error("user data is not a #cloud-config document");
  const parsed = parse(text) as Partial<CloudConfig>;
  return {
    packages: parsed.packages ?? [],
    users: parsed.users ?? [],
    write_files: parsed.write_files ?? [],
    runcmd: parsed.runcmd ?? [],
  };
}

/** Commands each Debian package must provide for the sandbox to stand in for an install. */
export const PACKAGE_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  runit: ["runsvdir", "runsv", "sv", "chpst", "svlogd"],
  "runit-run": [],
  curl: ["curl"],
  "ca-certificates": [],
  gpg: ["gpg"],
};

/** `/etc/sv/x/run` inside a sandbox rooted at `root`. */
export function inRoot(root: string, path: string): string {
  return `${root.replace(/\/+$/, "")}${path}`;
}

/**
 * A runcmd entry as argv for the sandbox: a command the user data itself wrote runs from the sandbox
 * copy; string entries run through sh, as cloud-init runs them.
 */
export function sandboxCommand(
  entry: string | readonly string[],
  root: string,
  written: ReadonlySet<string>,
): string[] {
  if (typeof entry === "string") return ["sh", "-c", entry];
  const [command, ...args] = entry;
  if (command === undefined) return [];
  return [written.has(command) ? inRoot(root, command) : command, ...args];
}

export interface ServiceUser {
  readonly name: string;
  readonly shell?: string;
}

export function serviceUsers(config: CloudConfig): ServiceUser[] {
  return config.users.flatMap((user) =>
    typeof user === "string" ? [] : [{ name: user.name, ...(user.shell === undefined ? {} : { shell: user.shell }) }],
  );
}

/** Shell scripts among the written files (what shellcheck should read). */
export function shellScripts(config: CloudConfig): { path: string; content: string }[] {
  return config.write_files
    .filter((f) => f.content.startsWith("#!/bin/sh"))
    .map((f) => ({ path: f.path, content: f.content }));
}
