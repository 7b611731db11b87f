import {
  formatAge,
  lockReport,
  operationName,
  parseLockInfo,
  parseLockObject,
  provablyAbandoned,
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

  it("is abandoned beyond doubt only when its holder ran on this machine and no Terraform works in the stack here", () => {
    const lock = parseLockObject(LOCK_OBJECT);
    if (lock === undefined) throw new Error("no lock");
    expect(provablyAbandoned(lock, "ci-host-7", false)).toBe(true);
    expect(provablyAbandoned(lock, "ci-host-7", true)).toBe(false);
    expect(provablyAbandoned(lock, "laptop", false)).toBe(false);
  });
});
