import {
  afterCheck,
  classicAnswer,
  networkAnswer,
  REGISTERED,
  servingTargets,
  type TargetHealth,
  type TargetStatus,
  type Thresholds,
} from "../../../live/health";

const thresholds: Thresholds = { healthyThreshold: 3, unhealthyThreshold: 2 };

const PASS = true;
const FAIL = false;

/** The view after each of `checks`, starting from `from`. */
function statuses(checks: readonly boolean[], from: TargetHealth = REGISTERED, given = thresholds): TargetStatus[] {
  let health = from;
  return checks.map((passed) => {
    health = afterCheck(health, passed, given);
    return health.status;
  });
}

function after(checks: readonly boolean[], from: TargetHealth = REGISTERED): TargetHealth {
  return checks.reduce((health, passed) => afterCheck(health, passed, thresholds), from);
}

const healthy = after([PASS, PASS, PASS]);
const unhealthy = after([FAIL, FAIL], healthy);

describe("a load balancer's view of one registered instance", () => {
  it("starts with the registration in progress, before any check", () => {
    expect(REGISTERED).toEqual({ status: "registering", streak: 0 });
  });

  it("is checking after the first check, and serves only after healthyThreshold passes in a row", () => {
    expect(statuses([PASS, PASS, PASS, PASS])).toEqual(["checking", "checking", "healthy", "healthy"]);
  });

  it("starts counting passes again after a failure while checking", () => {
    expect(statuses([PASS, PASS, FAIL, PASS, PASS, PASS])).toEqual([
      "checking",
      "checking",
      "checking",
      "checking",
      "checking",
      "healthy",
    ]);
  });

  it("is unhealthy after unhealthyThreshold failures in a row even before it ever served", () => {
    // What AWS says of a new instance whose check never passes (a bad release): a verdict, not "still checking".
    expect(statuses([FAIL, FAIL, FAIL])).toEqual(["checking", "unhealthy", "unhealthy"]);
    expect(statuses([FAIL, PASS, FAIL, FAIL])).toEqual(["checking", "checking", "checking", "unhealthy"]);
    expect(classicAnswer(after([FAIL, FAIL])).Description).toBe(
      "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
    );
    expect(networkAnswer(after([FAIL, FAIL])).State).toBe("unhealthy");
  });

  it("serves after the first pass when healthyThreshold is 1", () => {
    expect(statuses([PASS], REGISTERED, { healthyThreshold: 1, unhealthyThreshold: 1 })).toEqual(["healthy"]);
  });

  it("stops serving after unhealthyThreshold failures in a row", () => {
    expect(statuses([FAIL, FAIL, FAIL], healthy)).toEqual(["healthy", "unhealthy", "unhealthy"]);
  });

  it("keeps serving when a pass comes between failures: one pass resets the count", () => {
    expect(statuses([FAIL, PASS, FAIL, PASS, FAIL], healthy)).toEqual([
      "healthy",
      "healthy",
      "healthy",
      "healthy",
      "healthy",
    ]);
  });

  it("serves again only after healthyThreshold passes in a row, one failure between them starting over", () => {
    expect(statuses([PASS, PASS, FAIL, PASS, PASS, PASS], unhealthy)).toEqual([
      "unhealthy",
      "unhealthy",
      "unhealthy",
      "unhealthy",
      "unhealthy",
      "healthy",
    ]);
  });

  it("counts the streak of the latest result", () => {
    expect(after([PASS, PASS, FAIL])).toEqual({ status: "checking", streak: 1, lastPassed: false });
    expect(after([FAIL, PASS, PASS])).toEqual({ status: "checking", streak: 2, lastPassed: true });
    expect(after([PASS, PASS], healthy)).toEqual({ status: "healthy", streak: 5, lastPassed: true });
  });
});

describe("what AWS answers for each state", () => {
  const registering = REGISTERED;
  const checking = after([PASS]);

  it("answers DescribeInstanceHealth (classic) in AWS's words", () => {
    expect(classicAnswer(registering)).toEqual({
      State: "OutOfService",
      ReasonCode: "ELB",
      Description: "Instance registration is still in progress.",
    });
    expect(classicAnswer(checking)).toEqual({
      State: "OutOfService",
      ReasonCode: "Instance",
      Description: "Instance has not passed the configured HealthyThreshold number of health checks consecutively.",
    });
    expect(classicAnswer(healthy)).toEqual({ State: "InService", ReasonCode: "N/A", Description: "N/A" });
    expect(classicAnswer(unhealthy)).toEqual({
      State: "OutOfService",
      ReasonCode: "Instance",
      Description: "Instance has failed at least the UnhealthyThreshold number of health checks consecutively.",
    });
  });

  it("answers DescribeTargetHealth (network) in AWS's words, with neither reason nor description when healthy", () => {
    expect(networkAnswer(registering)).toEqual({
      State: "initial",
      Reason: "Elb.RegistrationInProgress",
      Description: "Target registration is in progress",
    });
    expect(networkAnswer(checking)).toEqual({
      State: "initial",
      Reason: "Elb.InitialHealthChecking",
      Description: "Initial health checks in progress",
    });
    expect(networkAnswer(healthy)).toEqual({ State: "healthy" });
    expect(networkAnswer(unhealthy)).toEqual({
      State: "unhealthy",
      Reason: "Target.FailedHealthChecks",
      Description: "Health checks failed",
    });
  });
});

describe("the instances a load balancer sends new connections to", () => {
  const checking = after([PASS]);
  const targets = (entries: Record<string, TargetHealth>) => new Map(Object.entries(entries));

  it.each(["classic", "network"] as const)("is the healthy ones when there are any (%s)", (kind) => {
    const served = servingTargets(kind, targets({ "i-1": healthy, "i-2": unhealthy, "i-3": checking, "i-4": healthy }));
    expect([...served].sort()).toEqual(["i-1", "i-4"]);
  });

  it("is every registered one for a network load balancer with no healthy target: it fails open", () => {
    const served = servingTargets("network", targets({ "i-1": unhealthy, "i-2": checking, "i-3": REGISTERED }));
    expect([...served].sort()).toEqual(["i-1", "i-2", "i-3"]);
  });

  it("is none for a classic load balancer with no healthy instance", () => {
    expect(servingTargets("classic", targets({ "i-1": unhealthy, "i-2": checking })).size).toBe(0);
  });

  it.each(["classic", "network"] as const)("is none when nothing is registered (%s)", (kind) => {
    expect(servingTargets(kind, new Map()).size).toBe(0);
  });
});
