import { BUILT_IN_FLEETS } from "../../regions";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveFleet } from "../../fleet/adapters/resolve";
import {
  applyImageLock,
  EMPTY_LOCK,
  lockMissingEntries,
  parseImageLock,
  renderImageLock,
  type ImageLock,
  type LockedImage,
} from "../../images/lock";
import { shapeOrThrow } from "../../fleet/validate";
import { describeImagesInput, imagesFromAnswer, lockImagesBeforeDeploy } from "../../images/adapters/lookup";
import answers from "../aws-answers/describe-images.json";
import { baseFleet, DEFAULT_APP } from "../fixtures";

type Recorded = Exclude<keyof typeof answers, "about">;

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

describe("locking a deploy's missing entries from what DescribeImages lists", () => {
  // The lookup moto answers (it has no Debian images): Amazon Linux 2022, as the local target uses.
  const config = baseFleet({ ami: { owners: ["137112412989"], name: "al2022-ami-2022.0.*-kernel-5.15-*" } });
  const shape = shapeOrThrow(config, DEFAULT_APP);
  /** What DescribeImages listed per region, from the recorded answers (by default each region's own). */
  const listed = (
    recorded: Readonly<Record<string, Recorded>> = { "us-east-1": "us-east-1", "us-west-2": "us-west-2" },
  ) => new Map(Object.entries(recorded).map(([region, key]) => [region, imagesFromAnswer(answers[key] as never)]));

  it("asks DescribeImages for the lookup's available images of its owners, name and architecture", () => {
    const request = {
      Owners: ["137112412989"],
      Filters: [
        { Name: "name", Values: ["al2022-ami-2022.0.*-kernel-5.15-*"] },
        { Name: "state", Values: ["available"] },
        { Name: "architecture", Values: ["x86_64"] },
      ],
    };
    expect(shape.regions.map((r) => describeImagesInput(r.instance.ami))).toEqual([request, request]);
  });

  it("adds the newest listed image per missing region, prints it, and then every image is locked", () => {
    const { unlocked } = applyImageLock(shape, EMPTY_LOCK, "fleet.lock.json");
    const result = lockMissingEntries(EMPTY_LOCK, unlocked.regions, listed());
    const al2022 = (created: string): LockedImage => ({
      id: "ami-076f415166b04f5fe",
      name: "al2022-ami-2022.0.20220728.1-kernel-5.15-x86_64",
      created,
      owners: ["137112412989"],
      namePattern: "al2022-ami-2022.0.*-kernel-5.15-*",
      architecture: "x86_64",
    });
    expect(result).toEqual({
      ok: true,
      lock: {
        version: 1,
        images: {
          "us-east-1": al2022("2026-12-06T11:10:18.000Z"),
          "us-west-2": al2022("2026-12-06T11:10:19.000Z"),
        },
      },
      lines: [
        "us-east-1: locked ami-076f415166b04f5fe (al2022-ami-2022.0.20220728.1-kernel-5.15-x86_64)",
        "us-west-2: locked ami-076f415166b04f5fe (al2022-ami-2022.0.20220728.1-kernel-5.15-x86_64)",
      ],
    });
    const relocked = result.ok ? applyImageLock(shape, result.lock, "fleet.lock.json") : undefined;
    expect(relocked?.unlocked.regions).toEqual([]);
    expect(relocked?.shape.regions.map((r) => r.instance.ami.id)).toEqual([
      "ami-076f415166b04f5fe",
      "ami-076f415166b04f5fe",
    ]);
  });

  it("leaves the entries already locked as they are", () => {
    const kept = debian("ami-0aaaaaaaaaaaaaaaa", "al2022-ami-2022.0.20220101.0-kernel-5.15-x86_64");
    const lock: ImageLock = { version: 1, images: { "us-east-1": kept } };
    const result = lockMissingEntries(lock, applyImageLock(shape, EMPTY_LOCK, "f").unlocked.regions, listed());
    expect(result.ok && result.lock.images["us-east-1"]).toBe(kept);
    expect(result.ok && result.lines).toEqual([
      "us-west-2: locked ami-076f415166b04f5fe (al2022-ami-2022.0.20220728.1-kernel-5.15-x86_64)",
    ]);
  });

  it("locks nothing when a region's lookup matches no image, naming the region and the lookup", () => {
    const { unlocked } = applyImageLock(shape, EMPTY_LOCK, "fleet.lock.json");
    expect(
      lockMissingEntries(EMPTY_LOCK, unlocked.regions, listed({ "us-east-1": "us-east-1", "us-west-2": "no-match" })),
    ).toEqual({
      ok: false,
      message:
        'ami: no image matches in us-west-2 (newest "al2022-ami-2022.0.*-kernel-5.15-*" of 137112412989 for x86_64); ' +
        "nothing was locked or deployed. Fix ami and run again",
    });
  });
});

describe("npm run deploy's image lock step", () => {
  // The lookup moto answers, as above; the lock file is written next to a fleet file in a directory of its own.
  const config = baseFleet({ ami: { owners: ["137112412989"], name: "al2022-ami-2022.0.*-kernel-5.15-*" } });
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let asked: string[];
  let printed: string[];
  const listImages = (region: string) => {
    asked.push(region);
    return Promise.resolve(imagesFromAnswer(answers[region === "us-east-1" ? "us-east-1" : "us-west-2"] as never));
  };
  const resolved = () => {
    const fleet = resolveFleet(env, dir, BUILT_IN_FLEETS);
    if (!fleet.ok) throw new Error(fleet.message);
    return fleet;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-image-lock-"));
    writeFileSync(join(dir, "fleet.json"), JSON.stringify(config));
    env = { CLOUDRIM_CONFIG: join(dir, "fleet.json") };
    asked = [];
    printed = [];
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const deploy = (reviewed = false, globs: string[] = []) =>
    lockImagesBeforeDeploy(resolved(), {
      env,
      cwd: dir,
      builtIn: BUILT_IN_FLEETS,
      reviewed,
      globs,
      progress: (l) => printed.push(l),
      listImages,
    });

  it("looks up only the regions with no entry, writes the lock file, says to commit it, and deploys the locked ids", async () => {
    const east: LockedImage = {
      id: "ami-0aaaaaaaaaaaaaaaa",
      name: "al2022-ami-2022.0.20220101.0-kernel-5.15-x86_64",
      owners: ["137112412989"],
      namePattern: "al2022-ami-2022.0.*-kernel-5.15-*",
      architecture: "x86_64",
    };
    writeFileSync(join(dir, "fleet.lock.json"), renderImageLock({ version: 1, images: { "us-east-1": east } }));
    const fleet = await deploy();
    expect(asked).toEqual(["us-west-2"]);
    expect(printed).toEqual([
      "us-west-2: locked ami-076f415166b04f5fe (al2022-ami-2022.0.20220728.1-kernel-5.15-x86_64)",
      "wrote fleet.lock.json: commit it, so that plans and later deploys use the same images (a reviewed or CI deploy refuses a region it does not lock)",
    ]);
    const written = parseImageLock(readFileSync(join(dir, "fleet.lock.json"), "utf8"));
    expect(written.ok && written.lock.images).toEqual({
      "us-east-1": east,
      "us-west-2": expect.objectContaining({ id: "ami-076f415166b04f5fe", created: "2026-12-06T11:10:19.000Z" }),
    });
    expect(fleet.unlocked.regions).toEqual([]);
    expect(fleet.shape.regions.map((r) => r.instance.ami.id)).toEqual([
      "ami-0aaaaaaaaaaaaaaaa",
      "ami-076f415166b04f5fe",
    ]);

    // The next deploy finds every image locked: it asks AWS nothing and writes nothing.
    const again = await deploy();
    expect({ asked, printed: printed.length }).toEqual({ asked: ["us-west-2"], printed: 2 });
    expect(again.shape).toEqual(fleet.shape);
  });

  it("refuses, before asking AWS or writing anything, an entry locked for another lookup, and a missing entry when reviewed or in CI", async () => {
    // An entry for the Debian lookup: the fleet file changed the lookup, which only the update command may follow.
    const before = renderImageLock({ version: 1, images: { "us-east-1": LOCK.images["us-east-1"] as LockedImage } });
    writeFileSync(join(dir, "fleet.lock.json"), before);
    await expect(deploy()).rejects.toThrow(
      /^ami: fleet\.lock\.json does not answer us-east-1 \(locked ami-0aaaaaaaaaaaaaaaa for another lookup.*`npm run images -- --update us-east-1`/,
    );
    expect(readFileSync(join(dir, "fleet.lock.json"), "utf8")).toBe(before);

    rmSync(join(dir, "fleet.lock.json"));
    await expect(deploy(true)).rejects.toThrow(
      /^ami: a reviewed deploy uses only images locked in the committed fleet\.lock\.json/,
    );
    env = { ...env, CI: "true" };
    await expect(deploy()).rejects.toThrow(/^ami: a deploy in CI \(CI=true\) uses only images locked/);
    // Bootstrapping the state bucket deploys no region: nothing to lock or refuse.
    expect((await deploy(true, ["cloudrim-prod-state"])).unlocked.regions).toHaveLength(2);
    expect({ asked, printed, lock: existsSync(join(dir, "fleet.lock.json")) }).toEqual({
      asked: [],
      printed: [],
      lock: false,
    });
  });
});
