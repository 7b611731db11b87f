import {
  formatAge,
  lockHolderRecord,
  lockHolderRecordJson,
  lockReport,
  lockTimeoutOf,
  operationName,
  parseLockHolderRecord,
  parseLockInfo,
  parseLockObject,
  unlockVerdict,
  type StateLock,
} from "../../../state/lock";

// As Terraform 1.11 wrote them on the local AWS.
const LOCK_OBJECT = JSON.stringify({
  ID: "5f1c2d3e-e2e0-4000-8000-000000000001",
  Operation: "OperationTypeApply",
  Info: "",
  Who: "runner@ci-host-7",
  Version: "1.11.4",
  Created: "2026-11-25T00:00:00.123456Z",
  Path: "shop-state/cloudrim/shop/prod/us-east-1.tfstate",
});

const LOCK_ERROR = `
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error StatusCode: 412, PreconditionFailed
Lock Info:
  ID:        5f1c2d3e-e2e0-4000-8000-000000000001
  Path:      shop-state/cloudrim/shop/prod/us-east-1.tfstate
  Operation: OperationTypeApply
  Who:       runner@ci-host-7
  Version:   1.11.4
  Created:   2026-11-25 00:00:00.123456 +0000 UTC
  Info:

Terraform acquires a state lock to protect the state from being written
`;

describe("a stack's state lock, as an operator reads it", () => {
  it("is read from the lock object beside the state and from Terraform's error alike", () => {
    const fromObject = parseLockObject(LOCK_OBJECT);
    const fromError = parseLockInfo(LOCK_ERROR);
    expect(fromObject).toEqual({
      id: "5f1c2d3e-e2e0-4000-8000-000000000001",
      operation: "OperationTypeApply",
      who: "runner@ci-host-7",
      version: "1.11.4",
      created: new Date("2026-11-25T00:00:00.123Z"),
      path: "shop-state/cloudrim/shop/prod/us-east-1.tfstate",
    });
    expect(fromError).toEqual(fromObject);
    expect(parseLockObject("not json")).toBeUndefined();
    expect(parseLockInfo("Error: something else")).toBeUndefined();
  });

  it("names the holder, what it was doing, since when and for how long, and the one command that releases it", () => {
    const lock = parseLockObject(LOCK_OBJECT);
    if (lock === undefined) throw new Error("no lock");
    expect(lockReport("shop-prod-us-east-1", lock, new Date("2026-12-01T03:00:00Z"))).toEqual([
      "shop-prod-us-east-1: its state is locked by runner@ci-host-7 (apply, Terraform 1.11.4) since 2026-11-25T00:00:00.123Z, 6 d 2 h ago; lock 5f1c2d3e-e2e0-4000-8000-000000000001",
      'release it once that run is gone: npm run unlock -- shop-prod-us-east-1 --force (docs/runbook.md, "A deploy was interrupted")',
    ]);
  });

  it("counts its age in the unit an operator thinks in", () => {
    expect([40_000, 12 * 60_000, 3 * 3_600_000 + 5 * 60_000, 50 * 3_600_000, -5].map(formatAge)).toEqual([
      "40 s",
      "12 min",
      "3 h 5 min",
      "2 d 2 h",
      "0 s",
    ]);
    expect(operationName("OperationTypePlan")).toBe("plan");
  });

  describe("released without --force only when its holder is provably gone", () => {
    const parsed = parseLockObject(LOCK_OBJECT);
    if (parsed === undefined) throw new Error("no lock");
    const lock: StateLock = parsed;
    // This checkout's runner started Terraform pid 4242 for the stack 3 s before the lock was taken.
    const record = lockHolderRecord("shop-prod-us-east-1", 4242, "ci-host-7", new Date("2026-11-24T23:59:57Z"), 60);

    it("releases when the Terraform this checkout recorded taking it, on this machine, runs no more", () => {
      expect(unlockVerdict(lock, "ci-host-7", record, false)).toEqual({
        release: true,
        why: "its holder, Terraform pid 4242 on this machine, is no longer running",
      });
    });

    it("keeps it while that pid runs", () => {
      expect(unlockVerdict(lock, "ci-host-7", record, true)).toEqual({
        release: false,
        why: "its holder, Terraform pid 4242 on this machine, is still running",
      });
    });

    it("keeps a lock taken on another machine, whatever this machine recorded", () => {
      expect(unlockVerdict(lock, "laptop", { ...record, host: "laptop" }, false)).toEqual({
        release: false,
        why: "it was taken on ci-host-7, not on this machine (laptop)",
      });
      expect(unlockVerdict({ ...lock, who: "" }, "ci-host-7", record, false).release).toBe(false);
    });

    it("keeps a lock of this machine that no record of this checkout accounts for: another checkout's or user's", () => {
      expect(unlockVerdict(lock, "ci-host-7", undefined, false)).toEqual({
        release: false,
        why: "no Terraform of this checkout is recorded for the stack on this machine: it may be another checkout's or user's",
      });
      // A record written on another machine (a copied checkout) proves nothing here.
      expect(unlockVerdict(lock, "ci-host-7", { ...record, host: "laptop" }, false).release).toBe(false);
    });

    it("keeps a lock taken before the recorded Terraform started, or after it could have asked for it", () => {
      const before = { ...record, started: new Date("2026-11-25T00:00:01Z") };
      expect(unlockVerdict(lock, "ci-host-7", before, false)).toEqual({
        release: false,
        why: "it was not taken by this checkout's last Terraform for the stack (pid 4242, started 2026-11-25T00:00:01.000Z): it may be another checkout's or user's",
      });
      // Lock timeout 60 s + 120 s of start-up: a lock taken 181 s after the start is someone else's.
      const long = { ...record, started: new Date("2026-11-24T23:56:59Z") };
      expect(unlockVerdict(lock, "ci-host-7", long, false).release).toBe(false);
      const justInTime = { ...record, started: new Date("2026-11-24T23:57:00.123Z") };
      expect(unlockVerdict(lock, "ci-host-7", justInTime, false).release).toBe(true);
    });
  });

  it("is recorded only for a Terraform run given a lock timeout, which is how long it may wait to take it", () => {
    expect(lockTimeoutOf(["apply", "-auto-approve", "-lock-timeout=60s", "plan.tfplan"])).toBe(60);
    expect(lockTimeoutOf(["plan", "-lock=false"])).toBeUndefined();
    expect(lockTimeoutOf(["init", "-input=false"])).toBeUndefined();
    const record = lockHolderRecord("shop-prod-us-east-1", 4242, "ci-host-7", new Date("2026-11-25T00:00:00Z"), 30);
    expect(record.lockWithinSeconds).toBe(150);
    expect(parseLockHolderRecord(lockHolderRecordJson(record))).toEqual(record);
    expect(parseLockHolderRecord("{}")).toBeUndefined();
    expect(
      parseLockHolderRecord(JSON.stringify({ ...JSON.parse(lockHolderRecordJson(record)), pid: "4242" })),
    ).toBeUndefined();
    expect(parseLockHolderRecord("half a file {")).toBeUndefined();
  });
});
