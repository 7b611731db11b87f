import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADOPTION_FILE, planAdoptingAfresh, withAdoptions, writtenImports } from "../../adoption/adapters/lifecycle";
import { shapeOrThrow } from "../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../fixtures";

// A plan that creates nothing has no orphans to look for: these never ask AWS.
const TARGET = { kind: "local", endpoint: "http://127.0.0.1:9" } as const;
const [REGION] = shapeOrThrow(baseFleet(), DEFAULT_APP).regions;

describe("a region stack's import blocks (adopt.tf.json)", () => {
  let dir: string;
  const stale = () => {
    writeFileSync(join(dir, ADOPTION_FILE), JSON.stringify({ import: [{ to: "aws_elb.old", id: "old-9000" }] }));
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cloudrim-adopt-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("are decided afresh by each plan: a previous run's are gone before it plans", async () => {
    if (REGION === undefined) throw new Error("the fleet has no region");
    stale();
    const seenByPlan: boolean[] = [];
    const result = await planAdoptingAfresh(
      TARGET,
      REGION,
      dir,
      () => undefined,
      () => {
        seenByPlan.push(existsSync(join(dir, ADOPTION_FILE)));
        return Promise.resolve({ ok: true, plan: {} });
      },
      (r) => r.plan,
    );
    expect(result).toEqual({ ok: true, plan: {} });
    expect(seenByPlan).toEqual([false]);
    expect(writtenImports(dir)).toEqual([]);
  });

  it("are gone when a deploy ends, however it ends", async () => {
    stale();
    expect(writtenImports(dir)).toEqual([{ to: "aws_elb.old", id: "old-9000" }]);
    await expect(withAdoptions(dir, () => Promise.reject(new Error("apply failed")))).rejects.toThrow("apply failed");
    expect(existsSync(join(dir, ADOPTION_FILE))).toBe(false);
    stale();
    await expect(withAdoptions(dir, () => Promise.resolve("deployed"))).resolves.toBe("deployed");
    expect(existsSync(join(dir, ADOPTION_FILE))).toBe(false);
  });
});
