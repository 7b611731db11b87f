import type { FleetConfig } from "../../../fleet/schema";
import {
  applyImageLock,
  EMPTY_LOCK,
  imagesBeforeDeploy,
  isCi,
  lockChangeLine,
  lockFileFor,
  newestImage,
  parseImageLock,
  renderImageLock,
  unlockedImageStacks,
  unlockedWarning,
  type ImageLock,
  type LockedImage,
} from "../../../images/lock";
import { shapeOrThrow } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

const debian = (id: string, name: string, architecture: "x86_64" | "arm64" = "x86_64"): LockedImage => ({
  id,
  name,
  created: "2026-11-01T12:00:00.000Z",
  owners: ["136693071363"],
  namePattern: architecture === "x86_64" ? "debian-12-amd64-*" : "debian-12-arm64-*",
  architecture,
});

const LOCK: ImageLock = {
  version: 1,
  images: {
    "us-west-2": debian("ami-0bbbbbbbbbbbbbbbb", "debian-12-amd64-20261101-2000"),
    "us-east-1": debian("ami-0aaaaaaaaaaaaaaaa", "debian-12-amd64-20261101-2000"),
  },
};

describe("the image lock file", () => {
  it("sits next to the fleet file", () => {
    expect(lockFileFor("/repo/regions/prod.json")).toBe("/repo/regions/prod.lock.json");
    expect(lockFileFor("regions/default.ts")).toBe("regions/default.lock.json");
  });

  it("is written sorted by region, with a final newline, and read back as written", () => {
    const text = renderImageLock(LOCK);
    expect(text.indexOf('"us-east-1"')).toBeLessThan(text.indexOf('"us-west-2"'));
    expect(text.endsWith("}\n")).toBe(true);
    expect(parseImageLock(text)).toEqual({ ok: true, lock: LOCK });
    expect(renderImageLock(EMPTY_LOCK)).toBe('{\n  "version": 1,\n  "images": {}\n}\n');
  });

  it("refuses what npm run images would not have written, naming the entry", () => {
    expect(parseImageLock("{")).toMatchObject({ ok: false, message: expect.stringMatching(/^is not valid JSON/) });
    expect(parseImageLock('{"version": 2, "images": {}}')).toMatchObject({ ok: false });
    expect(parseImageLock('{"version": 1, "images": {"us-east-1": {"id": "ami-1"}}}')).toEqual({
      ok: false,
      message:
        "images.us-east-1: must have id (ami-…), name, owners, namePattern and architecture, as npm run images writes them",
    });
  });
});

describe("plans with the image lock", () => {
  it("use the locked id in every region whose image is a lookup, and remember where it came from", () => {
    const locked = applyImageLock(shapeOrThrow(baseFleet(), DEFAULT_APP), LOCK, "regions/prod.lock.json");
    expect(locked.shape.regions.map((r) => r.instance.ami)).toEqual([
      {
        id: "ami-0aaaaaaaaaaaaaaaa",
        owners: ["136693071363"],
        namePattern: "debian-12-amd64-*",
        architecture: "x86_64",
        locked: { name: "debian-12-amd64-20261101-2000", lockFile: "regions/prod.lock.json" },
      },
      expect.objectContaining({ id: "ami-0bbbbbbbbbbbbbbbb" }),
    ]);
    expect(locked.unlocked).toEqual({ lockFile: "regions/prod.lock.json", regions: [] });
  });

  it("leave an image pinned by id alone, without needing an entry", () => {
    const shape = shapeOrThrow(baseFleet({ ami: "ami-0123456789abcdef0" }), DEFAULT_APP);
    expect(applyImageLock(shape, EMPTY_LOCK, "x.lock.json")).toEqual({
      shape,
      unlocked: { lockFile: "x.lock.json", regions: [] },
    });
  });

  it("keep the lookup of a region the lock does not answer, and list it with the entry it has, if any", () => {
    const shape = shapeOrThrow(baseFleet(), DEFAULT_APP);
    const missing = applyImageLock(shape, EMPTY_LOCK, "f.lock.json");
    expect(missing.shape).toEqual(shape);
    expect(missing.unlocked.regions).toEqual(
      shape.regions.map((r) => ({ region: r.region, stack: r.stackName, lookup: r.instance.ami })),
    );

    // m7g.large is arm64: the entry locked for the amd64 lookup does not answer it, and stays as it is.
    const arm = shapeOrThrow(
      baseFleet({ regions: [{ region: "us-east-1" }, { region: "us-west-2", instanceType: "m7g.large" }] }),
      DEFAULT_APP,
    );
    const changed = applyImageLock(arm, LOCK, "f.lock.json");
    expect(changed.shape.regions.map((r) => r.instance.ami.id)).toEqual(["ami-0aaaaaaaaaaaaaaaa", undefined]);
    expect(changed.unlocked.regions).toEqual([
      {
        region: "us-west-2",
        stack: "cloudrim-prod-us-west-2",
        lookup: arm.regions[1]?.instance.ami,
        lockedFor: LOCK.images["us-west-2"],
      },
    ]);
  });

  it("mark, for the plan report, the region stacks on AWS whose image is looked up at plan time", () => {
    const { shape } = applyImageLock(
      shapeOrThrow(baseFleet(), DEFAULT_APP),
      { version: 1, images: { "us-east-1": LOCK.images["us-east-1"] as LockedImage } },
      "f.lock.json",
    );
    expect(unlockedImageStacks(shape, { kind: "aws" })).toEqual([
      {
        stack: "cloudrim-prod-us-west-2",
        region: "us-west-2",
        lookup: 'newest "debian-12-amd64-*" of 136693071363 for x86_64',
      },
    ]);
    // The local target substitutes every image with the emulator's: nothing to lock there.
    expect(unlockedImageStacks(shape, { kind: "local", endpoint: "http://127.0.0.1:5055" })).toEqual([]);
  });
});

describe("the warning when the lock does not answer a region", () => {
  it("is one line naming every region, why, what synth does instead and the command that locks just those", () => {
    const arm = shapeOrThrow(
      baseFleet({
        regions: [{ region: "us-east-1" }, { region: "us-west-2", instanceType: "m7g.large" }, { region: "eu-west-1" }],
      }),
      DEFAULT_APP,
    );
    const lock: ImageLock = { version: 1, images: { "us-west-2": LOCK.images["us-west-2"] as LockedImage } };
    expect(unlockedWarning(applyImageLock(arm, lock, "regions/prod.lock.json").unlocked)).toBe(
      "warning: ami: images not locked in regions/prod.lock.json: " +
        'us-east-1, eu-west-1 (no entry; lookup newest "debian-12-amd64-*" of 136693071363 for x86_64); ' +
        'us-west-2 (locked ami-0bbbbbbbbbbbbbbbb for another lookup, newest "debian-12-amd64-*" of 136693071363 for x86_64; ' +
        'the fleet file now says newest "debian-12-arm64-*" of 136693071363 for arm64). ' +
        "Synth keeps the lookup, so each plan takes the image that is newest when it runs; lock them with " +
        "`npm run images -- --update us-east-1 us-west-2 eu-west-1` (AWS credentials) and commit regions/prod.lock.json, " +
        "or let `npm run deploy` lock a missing entry",
    );
  });

  it("is not printed when every looked-up image is locked", () => {
    expect(
      unlockedWarning(applyImageLock(shapeOrThrow(baseFleet(), DEFAULT_APP), LOCK, "f.lock.json").unlocked),
    ).toBeUndefined();
  });
});

describe("a deploy to AWS and the regions the lock does not answer", () => {
  const plain = { reviewed: false, ci: false };
  const unlockedOf = (config: FleetConfig, lock: ImageLock) =>
    applyImageLock(shapeOrThrow(config, DEFAULT_APP), lock, "regions/prod.lock.json").unlocked;

  it("locks a missing entry itself, as npm install writes package-lock.json", () => {
    const unlocked = unlockedOf(baseFleet(), EMPTY_LOCK);
    expect(imagesBeforeDeploy(unlocked, plain)).toEqual({ action: "lock", regions: unlocked.regions });
    expect(imagesBeforeDeploy(unlockedOf(baseFleet(), LOCK), plain)).toEqual({ action: "none" });
  });

  it("refuses a missing entry when reviewed or in CI, as npm ci does, naming the regions and the command", () => {
    const unlocked = unlockedOf(baseFleet(), EMPTY_LOCK);
    expect(imagesBeforeDeploy(unlocked, { reviewed: true, ci: true })).toEqual({
      action: "refuse",
      message:
        "ami: a reviewed deploy uses only images locked in the committed regions/prod.lock.json, which does not answer " +
        'us-east-1, us-west-2 (no entry; lookup newest "debian-12-amd64-*" of 136693071363 for x86_64). Nothing was deployed. ' +
        "Run `npm run images -- --update us-east-1 us-west-2` with AWS credentials, commit regions/prod.lock.json and have " +
        "its plan reviewed, then deploy again",
    });
    expect(imagesBeforeDeploy(unlocked, { reviewed: false, ci: true })).toMatchObject({
      action: "refuse",
      message: expect.stringMatching(/^ami: a deploy in CI \(CI=true\) uses only images locked in the committed /),
    });
  });

  it("never replaces an entry locked for another lookup: every deploy refuses it, naming the update of that region", () => {
    const config = baseFleet({
      regions: [{ region: "us-east-1" }, { region: "us-west-2", instanceType: "m7g.large" }, { region: "eu-west-1" }],
    });
    const decision = imagesBeforeDeploy(unlockedOf(config, LOCK), plain);
    expect(decision).toEqual({
      action: "refuse",
      message:
        "ami: regions/prod.lock.json does not answer us-west-2 (locked ami-0bbbbbbbbbbbbbbbb for another lookup, " +
        'newest "debian-12-amd64-*" of 136693071363 for x86_64; the fleet file now says newest "debian-12-arm64-*" of ' +
        "136693071363 for arm64), and a deploy never changes a locked entry. Nothing was deployed. Run " +
        "`npm run images -- --update us-west-2` with AWS credentials, commit regions/prod.lock.json, then deploy again",
    });
  });

  it("leaves alone the regions whose stacks the deploy does not select", () => {
    const unlocked = unlockedOf(baseFleet(), EMPTY_LOCK);
    expect(imagesBeforeDeploy(unlocked, { ...plain, globs: ["cloudrim-prod-us-w*"] })).toEqual({
      action: "lock",
      regions: unlocked.regions.filter((r) => r.region === "us-west-2"),
    });
    // The state stack alone (the bootstrap): no region is deployed, so no image is looked up or refused.
    expect(imagesBeforeDeploy(unlocked, { reviewed: true, ci: true, globs: ["cloudrim-prod-state"] })).toEqual({
      action: "none",
    });
  });

  it("tells CI apart by CI=true (or any value but false, 0 and empty)", () => {
    expect([{ CI: "true" }, { CI: "1" }, { CI: "TRUE" }].map(isCi)).toEqual([true, true, true]);
    expect([{}, { CI: "" }, { CI: "false" }, { CI: "0" }].map(isCi)).toEqual([false, false, false, false]);
  });
});

describe("updating the lock", () => {
  it("picks the newest image AWS lists, by creation date", () => {
    expect(
      newestImage([
        { id: "ami-1", name: "debian-12-amd64-20261001-1", created: "2026-10-01T00:00:00.000Z" },
        { id: "ami-3", name: "debian-12-amd64-20261101-3", created: "2026-11-01T00:00:00.000Z" },
        { id: "ami-2", name: "debian-12-amd64-20261015-2", created: "2026-10-15T00:00:00.000Z" },
      ])?.id,
    ).toBe("ami-3");
    expect(newestImage([])).toBeUndefined();
  });

  it("prints the old and new image per region", () => {
    const before = debian("ami-0aaaaaaaaaaaaaaaa", "debian-12-amd64-20261001-1000");
    const after = debian("ami-0cccccccccccccccc", "debian-12-amd64-20261101-2000");
    expect(lockChangeLine("us-east-1", before, after)).toBe(
      "us-east-1: ami-0aaaaaaaaaaaaaaaa (debian-12-amd64-20261001-1000) → ami-0cccccccccccccccc (debian-12-amd64-20261101-2000)",
    );
    expect(lockChangeLine("us-east-1", after, after)).toBe(
      "us-east-1: unchanged ami-0cccccccccccccccc (debian-12-amd64-20261101-2000)",
    );
    expect(lockChangeLine("us-east-1", undefined, after)).toBe(
      "us-east-1: locked ami-0cccccccccccccccc (debian-12-amd64-20261101-2000)",
    );
  });
});
