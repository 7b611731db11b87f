import {
  applyImageLock,
  EMPTY_LOCK,
  lockChangeLine,
  lockFileFor,
  newestImage,
  parseImageLock,
  renderImageLock,
  type ImageLock,
  type LockedImage,
} from "../../lib/image-lock";
import { planOrThrow } from "../../lib/validate";
import { baseFleet } from "../fixtures";

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
    const locked = applyImageLock(planOrThrow(baseFleet()), LOCK, "regions/prod.lock.json");
    expect(locked.ok && locked.plan.regions.map((r) => r.instance.ami)).toEqual([
      {
        id: "ami-0aaaaaaaaaaaaaaaa",
        owners: ["136693071363"],
        namePattern: "debian-12-amd64-*",
        architecture: "x86_64",
        locked: { name: "debian-12-amd64-20261101-2000", lockFile: "regions/prod.lock.json" },
      },
      expect.objectContaining({ id: "ami-0bbbbbbbbbbbbbbbb" }),
    ]);
  });

  it("leave an image pinned by id alone, without needing an entry", () => {
    const plan = planOrThrow(baseFleet({ ami: "ami-0123456789abcdef0" }));
    expect(applyImageLock(plan, EMPTY_LOCK, "x.lock.json")).toEqual({ ok: true, plan });
  });

  it("refuse, in one problem naming every region and the command, a lookup the lock does not answer", () => {
    const arm = baseFleet({ regions: [{ region: "us-east-1" }, { region: "us-west-2", instanceType: "m7g.large" }] });
    const result = applyImageLock(planOrThrow(arm), LOCK, "regions/prod.lock.json");
    expect(result).toEqual({
      ok: false,
      problem: {
        path: "ami",
        value: ["us-west-2"],
        message:
          "has no locked image for us-west-2 in regions/prod.lock.json (or one locked for another lookup): images change only when you say so; run `npm run images -- --update` with AWS credentials to look up the newest image per region and write it, then commit the file",
      },
    });
    expect(applyImageLock(planOrThrow(baseFleet()), EMPTY_LOCK, "f.lock.json")).toMatchObject({
      ok: false,
      problem: { value: ["us-east-1", "us-west-2"] },
    });
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
