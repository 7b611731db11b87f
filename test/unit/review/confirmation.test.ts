import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  changesByRegion,
  changeSummary,
  confirmationFor,
  creationOf,
  regionLine,
  deployFirst,
  stackRegion,
  type ConfirmationInput,
} from "../../../review/confirmation";
import type { TerraformPlanJson } from "../../../terraform/plan-json";
import { shapeOrThrow } from "../../../fleet/validate";

import { baseFleet, DEFAULT_APP } from "../../fixtures";

/** Plans recorded with `terraform show -json` (each file's `about` says how). */
const recorded = (file: string) =>
  JSON.parse(readFileSync(join(__dirname, "..", "..", file), "utf8")) as TerraformPlanJson & { about: string };

/** 2 → 3 processes, internal → public load balancers: 7 created (the new port's balancer, attachment, two records, three alarms), 13 changed, both old balancers replaced. */
const PUBLIC_AND_A_PORT = recorded("recorded-plans/public-and-a-port.json");
/** What `npm run retire -- us-west-2` destroys: all 48 resources of that region's state. */
const RETIRE = recorded("recorded-plans/retire-us-west-2.json");
/** A weights change and a new app.command in us-east-1: four resources updated in place. */
const WEIGHTS_AND_COMMAND = recorded("plan-pairs/fresh-both.json");

describe("whether a change to AWS asks first", () => {
  const at = (input: Partial<ConfirmationInput>) =>
    confirmationFor("deploy", {
      target: "aws",
      stdinIsTerminal: false,
      yes: false,
      reviewed: false,
      ci: undefined,
      ...input,
    });

  it("asks at a terminal, on AWS, when nothing said yes up front", () => {
    expect(at({ stdinIsTerminal: true })).toEqual({ kind: "ask" });
    expect(at({ stdinIsTerminal: true, ci: "false" })).toEqual({ kind: "ask" });
  });

  it("never asks on the local AWS, terminal or not, whatever else is set", () => {
    for (const stdinIsTerminal of [true, false]) {
      expect(at({ target: "local", stdinIsTerminal }).kind).toBe("proceed");
    }
  });

  it("takes --yes, CI=true (or 1) and --reviewed as the answer, at a terminal or not", () => {
    for (const stdinIsTerminal of [true, false]) {
      expect(at({ stdinIsTerminal, yes: true })).toEqual({ kind: "proceed", because: "--yes" });
      expect(at({ stdinIsTerminal, ci: "true" })).toEqual({ kind: "proceed", because: "CI=true" });
      expect(at({ stdinIsTerminal, ci: "1" }).kind).toBe("proceed");
      expect(at({ stdinIsTerminal, reviewed: true }).kind).toBe("proceed");
    }
  });

  it("refuses without a terminal and without consent, naming --yes and CI=true", () => {
    const refused = at({ ci: "" });
    expect(refused.kind).toBe("refuse");
    expect(refused.kind === "refuse" ? refused.problem : "").toMatch(
      /^no terminal to ask at, and neither --yes nor CI=true: a deploy that changes AWS .* run it with --yes, or run it at a terminal/,
    );
    expect(
      confirmationFor("retire", { target: "aws", stdinIsTerminal: false, yes: false, reviewed: false, ci: "false" }),
    ).toMatchObject({ kind: "refuse", problem: expect.stringContaining("a retire that changes AWS") });
  });
});

describe("what the question shows, from recorded plans", () => {
  it("counts a region's creations, changes and replacements, a replacement once (Terraform's own line says 9 to add, 2 to destroy)", () => {
    const [region] = changesByRegion([{ stack: "ask-e2e-us-west-2", region: "us-west-2", plan: PUBLIC_AND_A_PORT }]);
    expect(region?.counts).toEqual({ create: 7, update: 13, replace: 2, delete: 0, adopt: 0 });
    expect(region === undefined ? "" : regionLine(region)).toBe(
      "us-west-2: 7 to create, 13 to change, 2 to replace (ask-e2e-us-west-2)",
    );
  });

  it("names what is replaced, by type and AWS name", () => {
    expect(changeSummary([{ stack: "ask-e2e-us-west-2", region: "us-west-2", plan: PUBLIC_AND_A_PORT }])).toEqual([
      "  us-west-2: 7 to create, 13 to change, 2 to replace (ask-e2e-us-west-2)",
      "      replace: 2 aws_elb (ask-e2e-9000, ask-e2e-9001)",
    ]);
  });

  it("sums up what a retire destroys by type, the most first, the rest counted", () => {
    expect(changeSummary([{ stack: "ask-e2e-us-west-2", region: "us-west-2", plan: RETIRE }])).toEqual([
      "  us-west-2: 48 to destroy (ask-e2e-us-west-2)",
      "      destroy: 11 aws_cloudwatch_metric_alarm, 5 aws_route53_record, 4 aws_cloudwatch_log_metric_filter, " +
        "3 aws_iam_role_policy, 3 aws_vpc_security_group_egress_rule, 2 aws_autoscaling_attachment, " +
        "and 20 more of 16 other types",
    ]);
  });

  it("groups the stacks by region, in the order given, and says which regions do not change", () => {
    const nothing: TerraformPlanJson = { resource_changes: [] };
    expect(
      changeSummary([
        { stack: "api-prod-state", region: "us-east-1", plan: nothing },
        { stack: "api-prod-dns", region: "global", plan: nothing },
        { stack: "api-prod-us-east-1", region: "us-east-1", plan: WEIGHTS_AND_COMMAND },
        { stack: "api-prod-us-west-2", region: "us-west-2", plan: PUBLIC_AND_A_PORT },
      ]),
    ).toEqual([
      "  us-east-1: 4 to change (api-prod-state, api-prod-us-east-1)",
      "  global: no changes (api-prod-dns)",
      "  us-west-2: 7 to create, 13 to change, 2 to replace (api-prod-us-west-2)",
      "      replace: 2 aws_elb (ask-e2e-9000, ask-e2e-9001)",
    ]);
  });

  it("counts an adoption (an import) apart from the changes, and says when only outputs change", () => {
    const adopting: TerraformPlanJson = {
      resource_changes: [
        {
          address: "aws_elb.balancers_port-9000_09C667E7",
          mode: "managed",
          type: "aws_elb",
          change: { actions: ["no-op"], before: {}, after: {}, importing: { id: "ask-e2e-9000" } },
        },
      ],
    };
    const outputs: TerraformPlanJson = { output_changes: { asg_name: { actions: ["create"] } } };
    expect(
      changeSummary([
        { stack: "a", region: "us-east-1", plan: adopting },
        { stack: "b", region: "eu-west-1", plan: outputs },
      ]),
    ).toEqual(["  us-east-1: 1 to adopt (a)", "  eu-west-1: outputs only (b)"]);
  });

  it("shows a stack with no state yet as everything its configuration creates, with why it was not planned", () => {
    const plan = creationOf({
      resource: {
        aws_s3_bucket: { state_bucket_1A2B3C4D: {} },
        aws_s3_bucket_versioning: { state_versioning_5E6F7A8B: {} },
        aws_s3_bucket_public_access_block: { state_public_2C3D4E5F: {} },
      },
    });
    expect(changeSummary([{ stack: "api-prod-state", region: "us-east-1", plan, note: "new" }])).toEqual([
      "  us-east-1: 3 to create (api-prod-state)",
      "      api-prod-state: new",
    ]);
  });
});

describe("where a stack runs, as the question groups it", () => {
  const shape = shapeOrThrow(baseFleet({ createHostedZone: true }), DEFAULT_APP);

  it("the state stack in the state bucket's region, the hosted zone as global, a region stack in its region", () => {
    expect(stackRegion(shape, "cloudrim-prod-state")).toBe("us-east-1");
    expect(stackRegion(shape, "cloudrim-prod-dns")).toBe("global");
    expect(stackRegion(shape, "cloudrim-prod-us-west-2")).toBe("us-west-2");
    expect(stackRegion(shape, "elsewhere")).toBeUndefined();
  });
});

describe("what to deploy first when a plan cannot be made yet", () => {
  const stacks = [
    { name: "api-prod-state", dependencies: [] },
    { name: "api-prod-dns", dependencies: ["api-prod-state"] },
    { name: "api-prod-us-east-1", dependencies: ["api-prod-state", "api-prod-dns"] },
    { name: "api-prod-us-west-2", dependencies: ["api-prod-state", "api-prod-dns"] },
  ];

  it("names the changing stacks those that failed depend on (a new hosted zone the regions read)", () => {
    expect(deployFirst(stacks, ["api-prod-us-east-1", "api-prod-us-west-2"], new Set(["api-prod-dns"]))).toEqual([
      "api-prod-dns",
    ]);
  });

  it("names none when what they depend on does not change: the failure is their own", () => {
    expect(deployFirst(stacks, ["api-prod-us-east-1"], new Set(["api-prod-us-west-2"]))).toEqual([]);
  });
});
