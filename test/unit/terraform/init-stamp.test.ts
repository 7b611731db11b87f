import { initIsCurrent, initStamp, isOverrideFile, type InitInputs } from "../../../terraform/init-stamp";

const backend = (key: string) =>
  JSON.stringify({ terraform: { backend: { s3: { bucket: "shop-prod-state", key, region: "us-east-1" } } } });

/** A directory as a successful init left it. */
const initialised: InitInputs = {
  configuration: backend("cloudrim/shop/prod/us-east-1.tfstate"),
  lockFile: 'provider "registry.terraform.io/hashicorp/aws" {\n  version = "5.100.0"\n}\n',
  initialised: JSON.stringify({ backend: { type: "s3", hash: 1234 } }),
  providersInstalled: true,
  overrides: [],
  reconfigure: false,
};

describe("whether a stack directory's terraform init would change nothing", () => {
  const stamp = initStamp(initialised);

  it("is so on the inputs the stamped init saw", () => {
    expect(initIsCurrent(stamp, { ...initialised })).toBe(true);
  });

  it("is not so for another backend, which init must see to stop on", () => {
    expect(initIsCurrent(stamp, { ...initialised, configuration: backend("shop/prod/us-east-1.tfstate") })).toBe(false);
  });

  it("is not so once anything init writes or reads changed: the lock file, the remembered backend, the providers", () => {
    expect(initIsCurrent(stamp, { ...initialised, lockFile: `${initialised.lockFile ?? ""}# changed\n` })).toBe(false);
    expect(initIsCurrent(stamp, { ...initialised, initialised: JSON.stringify({ backend: { type: "local" } }) })).toBe(
      false,
    );
    expect(initIsCurrent(stamp, { ...initialised, providersInstalled: false })).toBe(false);
    expect(initIsCurrent(stamp, { ...initialised, reconfigure: true })).toBe(false);
  });

  it("is never so without a stamp, without readable inputs, or with an override file beside the stack", () => {
    expect(initIsCurrent(undefined, initialised)).toBe(false);
    expect(initIsCurrent(stamp, undefined)).toBe(false);
    expect(initIsCurrent(stamp, { ...initialised, overrides: ["cloudrim_local_backend_override.tf.json"] })).toBe(
      false,
    );
  });

  it("leaves nothing to stamp before a first init, or beside an override file", () => {
    expect(initStamp({ ...initialised, initialised: undefined })).toBeUndefined();
    expect(initStamp({ ...initialised, lockFile: undefined })).toBeUndefined();
    expect(initStamp({ ...initialised, overrides: ["override.tf.json"] })).toBeUndefined();
  });

  it("knows Terraform's override files by name", () => {
    expect(["override.tf", "override.tf.json", "cloudrim_local_backend_override.tf.json"].every(isOverrideFile)).toBe(
      true,
    );
    expect(["cdk.tf.json", "adopt.tf.json", "overrides.tf.json"].some(isOverrideFile)).toBe(false);
  });
});
