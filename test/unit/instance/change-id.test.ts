import { changeId } from "../../../instance/change-id";

const pinned = {
  command: "node server.js",
  runtime: { kind: "pinned" as const, version: "24.11.1", sha256: { x64: "a".repeat(64), arm64: "b".repeat(64) } },
  appFiles: { "server.js": "console.log(1)" },
  environment: { LOG_LEVEL: "info", GREETING: "hi" },
};

describe("the change an instance runs (what every answer names as `release`)", () => {
  it("is the release's S3 key when the fleet runs a release: the key names its content", () => {
    const release = { bucket: "b", key: "releases/api/0123abcd.tgz", region: "us-east-1", sha256: "c".repeat(64) };
    expect(changeId({ ...pinned, runtime: { kind: "release", release } })).toBe("releases/api/0123abcd.tgz");
  });

  it("is a short sha256 of the code on the image, the same for the same inputs whatever their order", () => {
    expect(changeId(pinned)).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(changeId({ ...pinned, environment: { GREETING: "hi", LOG_LEVEL: "info" } })).toBe(changeId(pinned));
  });

  it.each([
    ["the command", { command: "node other.js" }],
    ["the Node.js", { runtime: { ...pinned.runtime, version: "24.12.0" } }],
    ["an app file", { appFiles: { "server.js": "console.log(2)" } }],
    ["a plain variable", { environment: { ...pinned.environment, LOG_LEVEL: "debug" } }],
    ["a secret's name", { secrets: [{ name: "DB_PASSWORD" }] }],
  ])("changes with %s", (_what, change) => {
    expect(changeId({ ...pinned, ...change } as Parameters<typeof changeId>[0])).not.toBe(changeId(pinned));
  });
});
