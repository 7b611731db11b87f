/*
 * Pure: when a stack directory's `terraform init` would change nothing. Init only reads the `terraform` block
 * (the backend and the required providers) and the modules, and writes the dependency lock file and
 * .terraform/terraform.tfstate (the backend it remembers). Run again on the same inputs, it does what it did
 * last time, for ~1.6 s of CPU with the S3 backend, before every plan, deploy and retire. So a successful init
 * stamps what it saw, and the next one runs only when something differs: another backend (which stops at init,
 * as Terraform's guard), other providers, a lock file or remembered backend changed by another init (a
 * migration, by hand or by the state stack's bootstrap), an override file present.
 */

/** What a directory's init depends on and leaves behind. */
export interface InitInputs {
  /** `{ terraform, module }` of cdk.tf.json, as JSON. */
  readonly configuration: string;
  /** .terraform.lock.hcl; undefined when there is none. */
  readonly lockFile: string | undefined;
  /** .terraform/terraform.tfstate (the remembered backend); undefined when there is none. */
  readonly initialised: string | undefined;
  /** Whether .terraform/providers holds the installed providers. */
  readonly providersInstalled: boolean;
  /** Override files (`*_override.tf.json`, `override.tf.json`, …): they can change the backend. */
  readonly overrides: readonly string[];
  /** Whether init runs with `-reconfigure`. */
  readonly reconfigure: boolean;
}

/**
 * The stamp of a successful init on these inputs, to keep beside them; undefined when a later init could not be
 * judged from it (nothing installed, or an override file present).
 */
export function initStamp(inputs: InitInputs): string | undefined {
  const { configuration, lockFile, initialised, providersInstalled, overrides, reconfigure } = inputs;
  if (lockFile === undefined || initialised === undefined || !providersInstalled || overrides.length > 0) {
    return undefined;
  }
  return JSON.stringify({ configuration, lockFile, initialised, reconfigure });
}

/** Whether an init on `inputs` (undefined: unreadable) would do exactly what the stamped one did: then it need not run. */
export function initIsCurrent(stamp: string | undefined, inputs: InitInputs | undefined): boolean {
  return stamp !== undefined && inputs !== undefined && initStamp(inputs) === stamp;
}

/** Whether a file name is a Terraform override file (Terraform merges it over the configuration). */
export function isOverrideFile(name: string): boolean {
  return /(^|_)override\.tf(\.json)?$/.test(name);
}
