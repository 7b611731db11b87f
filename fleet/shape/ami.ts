/*
 * The image a region's instances boot: an id given, or a lookup (owners and a name pattern) for the
 * instance type's architecture, which the image lock then answers.
 */
import { DEBIAN_AMI_OWNER, type CpuArchitecture } from "../aws-facts";
import type { AmiSelector } from "../schema";

export interface AmiShape {
  /** Explicit image id, or undefined to look one up. */
  readonly id?: string;
  readonly owners: readonly string[];
  /** Name pattern with `{arch}` already replaced. */
  readonly namePattern?: string;
  /** EC2's name for the instance type's architecture; the image must match it. */
  readonly architecture: CpuArchitecture;
  /** The image lock's answer to the lookup (`owners` and `namePattern`), which `id` then holds: its name, and the lock file. */
  readonly locked?: { readonly name: string; readonly lockFile: string };
}

export function amiShape(selector: AmiSelector | undefined, arch: CpuArchitecture): AmiShape {
  if (typeof selector === "string") return { id: selector, owners: [], architecture: arch };
  const lookup = selector ?? { owners: [DEBIAN_AMI_OWNER], name: "debian-12-{arch}-*" };
  // Debian names its images amd64/arm64, while EC2 calls the architectures x86_64/arm64.
  const debianArch = arch === "x86_64" ? "amd64" : "arm64";
  return {
    owners: [...lookup.owners],
    namePattern: lookup.name.replaceAll("{arch}", debianArch),
    architecture: arch,
  };
}
