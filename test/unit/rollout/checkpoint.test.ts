import {
  atCheckpoint,
  CHECKPOINT_MARGIN_SECONDS,
  firstInstanceCheckpoint,
  settleSeconds,
  type CheckpointInput,
} from "../../../rollout/checkpoint";

const group = (extra: Partial<CheckpointInput> = {}): CheckpointInput => ({
  asked: undefined,
  desiredCapacity: 3,
  instanceRefresh: true,
  healthCheck: { healthyThreshold: 3, interval: 10 },
  bakeSeconds: 600,
  ...extra,
});

describe("one instance first", () => {
  it("is on by default for a refreshing group of 3 or more, off for smaller ones", () => {
    expect(firstInstanceCheckpoint(group({ desiredCapacity: 3 }))).toBeDefined();
    expect(firstInstanceCheckpoint(group({ desiredCapacity: 12 }))).toBeDefined();
    expect(firstInstanceCheckpoint(group({ desiredCapacity: 2 }))).toBeUndefined();
    expect(firstInstanceCheckpoint(group({ desiredCapacity: 1 }))).toBeUndefined();
  });

  it("follows the fleet file where it says, but never without a refresh or a second instance", () => {
    expect(firstInstanceCheckpoint(group({ asked: false, desiredCapacity: 6 }))).toBeUndefined();
    expect(firstInstanceCheckpoint(group({ asked: true, desiredCapacity: 2 }))?.percentage).toBe(50);
    expect(firstInstanceCheckpoint(group({ asked: true, desiredCapacity: 1 }))).toBeUndefined();
    expect(firstInstanceCheckpoint(group({ instanceRefresh: false }))).toBeUndefined();
  });

  it("stops the refresh after exactly one instance of the desired capacity (one in a hundred past 100)", () => {
    for (const desired of [2, 3, 4, 7, 10, 33, 99, 100, 101, 150, 250]) {
      const percentage = firstInstanceCheckpoint(group({ asked: true, desiredCapacity: desired }))?.percentage ?? 0;
      // AWS counts a checkpoint reached when the share of new instances is at least its percentage (1 to 100).
      const reachedAfter = [...Array(desired + 1).keys()].find((n) => (100 * n) / desired >= percentage);
      expect({ desired, percentage: percentage >= 1, reachedAfter }).toEqual({
        desired,
        percentage: true,
        reachedAfter: Math.ceil(desired / 100),
      });
    }
  });

  it("waits there for the new instance's checks on every port, the bake, and a margin for the deploy's looks", () => {
    const checkpoint = firstInstanceCheckpoint(group({ healthCheck: { healthyThreshold: 3, interval: 10 } }));
    expect(checkpoint).toEqual({ percentage: 33, delaySeconds: (3 + 2) * 10 + 600 + CHECKPOINT_MARGIN_SECONDS });
  });

  it("knows a refresh at its checkpoint from its progress, until it is done", () => {
    const checkpoint = { percentage: 33, delaySeconds: 60 };
    expect(atCheckpoint(checkpoint, { percentageComplete: 0 })).toBe(false);
    expect(atCheckpoint(checkpoint, {})).toBe(false);
    expect(atCheckpoint(checkpoint, { percentageComplete: 33 })).toBe(true);
    expect(atCheckpoint(checkpoint, { percentageComplete: 66 })).toBe(true);
    expect(atCheckpoint(checkpoint, { percentageComplete: 100 })).toBe(false);
  });

  it("gives a new instance its grace period and its checks on every port to be in service", () => {
    expect(
      settleSeconds({ healthCheck: { healthyThreshold: 2, interval: 5 }, autoScaling: { healthCheckGracePeriod: 10 } }),
    ).toBe(10 + 4 * 5);
  });
});
