import { lockReport, parseLockObject } from "../../../state/lock";
import { ROLLOUT_LOCK_NAME, rolloutLockObject, rolloutLockStateKey } from "../../../state/rollout-lock";

describe("the fleet's rollout lock", () => {
  it("sits beside the state stack's state, where a Terraform lock of its own would", () => {
    expect(rolloutLockStateKey("cloudrim/shop/prod/state.tfstate")).toBe("cloudrim/shop/prod/rollout");
    expect(rolloutLockStateKey("state.tfstate")).toBe("rollout");
  });

  it("is written in Terraform's lock format, so it is read and reported like a stack's", () => {
    const created = new Date("2026-12-06T18:00:00.000Z");
    const json = rolloutLockObject(
      { id: "5f1c2d3e", who: "ci@runner-1", created, path: "shop-state/cloudrim/shop/prod/rollout.tflock" },
      "cloudrim-fleet",
    );
    const lock = parseLockObject(json);
    expect(lock).toEqual({
      id: "5f1c2d3e",
      operation: "OperationTypeRollout",
      who: "ci@runner-1",
      version: "cloudrim-fleet",
      created,
      path: "shop-state/cloudrim/shop/prod/rollout.tflock",
    });
    expect(lockReport(ROLLOUT_LOCK_NAME, lock ?? ({} as never), new Date("2026-12-06T18:12:00.000Z"))).toEqual([
      "rollout: its state is locked by ci@runner-1 (npm run deploy's rollout of the fleet) since 2026-12-06T18:00:00.000Z, 12 min ago; lock 5f1c2d3e",
      'release it once that run is gone: npm run unlock -- rollout --force (docs/runbook.md, "A deploy was interrupted")',
    ]);
  });
});
