import { cleanError } from "../../../review/stack-plans";
import { formatPorts } from "../../../review/topology";
import { globToRegExp, mapWithLimit, selectStacks } from "../../../terraform/stack-selection";

const STACKS = ["cloudrim-prod-us-west-2", "cloudrim-prod-state", "cloudrim-prod-us-east-1", "cloudrim-dev-us-east-1"];

describe("stack selection", () => {
  it("selects every stack, sorted, when no glob is given", () => {
    expect(selectStacks(STACKS, [])).toEqual({ ok: true, stacks: [...STACKS].sort() });
  });

  it("narrows to one deployment with a glob, as `cdktf deploy 'cloudrim-prod-*'` does", () => {
    expect(selectStacks(STACKS, ["cloudrim-prod-*"])).toEqual({
      ok: true,
      stacks: ["cloudrim-prod-state", "cloudrim-prod-us-east-1", "cloudrim-prod-us-west-2"],
    });
  });

  it("selects region stacks but not the state stack with the CI workflows' default glob", () => {
    expect(selectStacks(STACKS, ["cloudrim-prod-??-*"])).toEqual({
      ok: true,
      stacks: ["cloudrim-prod-us-east-1", "cloudrim-prod-us-west-2"],
    });
  });

  it("fails on a glob that matches nothing, listing the stacks there are", () => {
    expect(selectStacks(STACKS, ["cloudrim-prod-*", "cloudrim-stage-*"])).toEqual({
      ok: false,
      error:
        'no stack matches "cloudrim-stage-*"; the stacks are: cloudrim-dev-us-east-1, cloudrim-prod-state, cloudrim-prod-us-east-1, cloudrim-prod-us-west-2',
    });
  });

  it("matches whole names and treats regex characters literally", () => {
    expect(globToRegExp("cloudrim-prod").test("cloudrim-prod-state")).toBe(false);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
    expect(globToRegExp("a?b").test("axb")).toBe(true);
  });
});

describe("bounded concurrency", () => {
  it("never runs more than the limit at once and keeps results in order", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithLimit([30, 10, 20, 5, 15], 2, async (ms) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running -= 1;
      return ms * 2;
    });
    expect(results).toEqual([60, 20, 40, 10, 30]);
    expect(peak).toBe(2);
  });
});

describe("report formatting helpers", () => {
  it("compresses consecutive ports into ranges", () => {
    expect(formatPorts([9000, 9001, 9002])).toBe("9000-9002");
    expect(formatPorts([9000, 9001, 9002, 9005])).toBe("9000-9002, 9005");
    expect(formatPorts([9000])).toBe("9000");
    expect(formatPorts([])).toBe("none");
  });

  it("strips colour codes and machine-specific paths from errors", () => {
    const escape = String.fromCharCode(27);
    expect(cleanError(`${escape}[31mError:${escape}[0m bad /tmp/x/stacks/a\n`, ["/tmp/x"])).toBe(
      "Error: bad <outdir>/stacks/a",
    );
  });
});
