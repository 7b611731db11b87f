import { editDistance, nearestNames } from "../../../fleet/spelling";

describe("edit distance", () => {
  it("counts inserted, deleted and replaced characters", () => {
    expect(editDistance("processes", "processes")).toBe(0);
    expect(editDistance("proceses", "processes")).toBe(1);
    expect(editDistance("processess", "processes")).toBe(1);
    expect(editDistance("procezzes", "processes")).toBe(2);
    expect(editDistance("", "tls")).toBe(3);
    expect(editDistance("ttl", "")).toBe(3);
  });

  it("counts two swapped neighbours as one edit, the commonest typo", () => {
    expect(editDistance("regoin", "region")).toBe(1);
    expect(editDistance("cdir", "cidr")).toBe(1);
    expect(editDistance("ab", "ba")).toBe(1);
  });
});

describe("the names a misspelled one was meant to be", () => {
  const fields = ["instanceType", "processes", "tls", "ttl", "regions", "subnetIds", "vpcId"];

  it("ignores case", () => {
    expect(nearestNames("instancetype", fields)).toEqual(["instanceType"]);
    expect(nearestNames("INSTANCETYPE", fields)).toEqual(["instanceType"]);
  });

  it("takes a name within a third of its length in edits, and every name equally near", () => {
    expect(nearestNames("proceses", fields)).toEqual(["processes"]);
    expect(nearestNames("subnets", fields)).toEqual(["subnetIds"]);
    expect(nearestNames("tl", fields)).toEqual(["tls", "ttl"]);
  });

  it("suggests nothing when no name is that near", () => {
    expect(nearestNames("colour", fields)).toEqual([]);
    expect(nearestNames("vpc", fields)).toEqual([]);
    expect(nearestNames("anything", [])).toEqual([]);
  });
});
