import { z } from "zod";
import { FleetSchema } from "../../../fleet/schema";
import { byField, duplicateProblems, listRules } from "../../../fleet/duplicates";
import { fieldsAt, formatPath, listsIn } from "../../../fleet/schema-walk";
import { securedFleet } from "../../fixtures";

describe("repeated list entries, found by walking the schema", () => {
  it("checks a list nobody registered, wherever it sits: objects, optional fields, records, unions, lists of lists", () => {
    const schema = z.strictObject({
      names: z.array(z.string()),
      settings: z.object({ ports: z.array(z.number()).optional() }).optional(),
      byTeam: z.record(z.string(), z.array(z.string())),
      either: z.union([z.literal(false), z.strictObject({ owners: z.array(z.string()) })]),
      grid: z.array(z.array(z.number())),
      both: z.intersection(z.object({ left: z.array(z.string()) }), z.object({ right: z.array(z.string()) })),
      later: z.lazy(() => z.array(z.string())),
      cleaned: z.preprocess((v) => v, z.array(z.string())),
    });
    const problems = duplicateProblems(schema, {
      names: ["a", "b", "a"],
      settings: { ports: [443, 443] },
      byTeam: { web: ["x", "x"] },
      either: { owners: ["o", "o"] },
      grid: [
        [1, 2],
        [1, 2],
      ],
      both: { left: ["l", "l"], right: ["r", "r"] },
      later: ["z", "z"],
      cleaned: ["c", "c"],
    });
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "names[2]: repeats names[0]; remove one",
      "settings.ports[1]: repeats settings.ports[0]; remove one",
      "byTeam.web[1]: repeats byTeam.web[0]; remove one",
      "either.owners[1]: repeats either.owners[0]; remove one",
      "grid[1]: repeats grid[0]; remove one",
      "both.left[1]: repeats both.left[0]; remove one",
      "both.right[1]: repeats both.right[0]; remove one",
      "later[1]: repeats later[0]; remove one",
      "cleaned[1]: repeats cleaned[0]; remove one",
    ]);
  });

  it("compares object entries whole, whatever the order of their fields, unless the list names their identity", () => {
    const whole = z.array(z.object({ a: z.number(), b: z.number() }));
    expect(
      duplicateProblems(whole, [
        { a: 1, b: 2 },
        { a: 1, b: 3 },
        { b: 2, a: 1 },
      ]),
    ).toEqual([{ path: "[2]", value: { b: 2, a: 1 }, message: "repeats [0]; remove one" }]);
    const byName = z
      .array(z.object({ name: z.string(), size: z.number() }))
      .register(listRules, { entries: "distinct", identity: byField("name"), fix: "merge them" });
    expect(
      duplicateProblems(byName, [
        { name: "a", size: 1 },
        { name: "a", size: 2 },
      ]),
    ).toEqual([{ path: "[1].name", value: "a", message: "repeats [0]; merge them" }]);
  });

  it("leaves lists whose repeats mean something alone, and checks a list of lists across its lists when told to", () => {
    const weights = z.array(z.number()).register(listRules, { entries: "may-repeat", why: "positional" });
    expect(duplicateProblems(weights, [1, 1, 1])).toEqual([]);
    const waves = z
      .array(z.array(z.string()).register(listRules, { entries: "may-repeat", why: "checked across" }))
      .register(listRules, { entries: "distinct-across", fix: "one wave each" });
    expect(duplicateProblems(waves, [["a", "b"], ["a"]])).toEqual([
      { path: "[1][0]", value: "a", message: "repeats [0][0]; one wave each" },
    ]);
  });

  it("stops where the input does not have the schema's shape (the schema's parse reports that)", () => {
    const schema = z.strictObject({ names: z.array(z.string()), nested: z.object({ ids: z.array(z.string()) }) });
    for (const input of [null, "fleet", 42, [], { names: "a,a" }, { nested: ["a", "a"] }, { nested: { ids: 7 } }]) {
      expect(duplicateProblems(schema, input)).toEqual([]);
    }
  });

  it("refuses a kind of schema it cannot look inside, rather than miss the lists in it", () => {
    const schema = z.strictObject({ pair: z.tuple([z.array(z.string()), z.number()]) });
    expect(() => duplicateProblems(schema, { pair: [["a", "a"], 1] })).toThrow(
      'listsIn cannot look inside a zod "tuple" schema; teach it (fleet/schema-walk.ts)',
    );
  });

  it("walks every list of a fleet that uses them all", () => {
    const fleet = {
      ...securedFleet(),
      ami: { owners: ["136693071363"], name: "debian-12-{arch}-*" },
      weights: [1, 2, 3],
      rollout: { waves: [["us-east-1"], ["eu-west-1"]] },
      regions: [
        { region: "us-east-1", vpcId: "vpc-0123abcd", subnetIds: ["subnet-0123abcd"], allowedCidrs: ["10.0.0.0/8"] },
        { region: "eu-west-1" },
      ],
    };
    expect(listsIn(FleetSchema, fleet).map((list) => formatPath(list.path))).toEqual([
      "app.policyArns",
      "rollout.waves",
      "rollout.waves[0]",
      "rollout.waves[1]",
      "baselineExceptions",
      "regions",
      "regions[0].subnetIds",
      "regions[0].allowedCidrs",
      "weights",
      "allowedCidrs",
      "instanceEgress",
      "instanceEgress[0].ports",
      "instanceEgress[1].ports",
      "ami.owners",
    ]);
    expect(duplicateProblems(FleetSchema, fleet)).toEqual([]);
  });
});

describe("the fields an object of the schema takes", () => {
  it("are found through optional fields, lists and unions, and none where the path leaves the schema", () => {
    expect(fieldsAt(FleetSchema, ["regions", 0])).toEqual(expect.arrayContaining(["region", "vpcId", "instanceType"]));
    expect(fieldsAt(FleetSchema, ["instanceEgress", 1])).toEqual(["cidr", "prefixList", "ports"]);
    expect(fieldsAt(FleetSchema, ["ami"])).toEqual(["owners", "name"]);
    expect(fieldsAt(FleetSchema, ["rollout"])).toEqual(["waves", "bakeSeconds", "firstInstance", "maxParallel"]);
    expect(fieldsAt(FleetSchema, ["deployment"])).toBeUndefined();
    expect(fieldsAt(FleetSchema, ["nonsense", 3])).toBeUndefined();
  });
});
