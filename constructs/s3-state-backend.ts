import { S3Backend, type S3BackendConfig, type TerraformStack } from "cdktf";

export interface S3StateLocation {
  readonly bucket: string;
  readonly region: string;
  readonly key: string;
}

/**
 * Remote state in S3, encrypted, locked with S3-native lock files (Terraform >= 1.10). cdktf 0.21's
 * backend type predates `use_lockfile`, so it is set as a raw override. `overrides` carries
 * target-specific settings (endpoints and credentials of a local AWS).
 */
export function useS3StateBackend(
  stack: TerraformStack,
  location: S3StateLocation,
  overrides: Partial<S3BackendConfig> = {},
): S3Backend {
  const backend = new S3Backend(stack, {
    ...overrides,
    bucket: location.bucket,
    region: location.region,
    key: location.key,
    encrypt: true,
  });
  backend.addOverride("use_lockfile", true);
  return backend;
}
