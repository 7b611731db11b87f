import { stackIdentity, stateElsewhereLine, stateHolds } from "../../state/adapters/location";
import { shapeOrThrow } from "../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../fixtures";

const shape = shapeOrThrow(baseFleet({ service: "api", createHostedZone: true }), DEFAULT_APP);

/** A Terraform state document holding one managed resource. */
const state = (type: string, name: string) =>
  JSON.stringify({
    version: 4,
    resources: [{ mode: "managed", type, name: "x", instances: [{ attributes: { name } }] }],
  });

describe("finding a stack's state under another key", () => {
  it("knows each region stack by its Auto Scaling group and the zone stack by its zone", () => {
    expect(stackIdentity(shape, "api-prod-us-east-1")).toEqual({
      stack: "api-prod-us-east-1",
      key: "cloudrim/api/prod/us-east-1.tfstate",
      marker: { type: "aws_autoscaling_group", name: "api-prod-us-east-1" },
    });
    expect(stackIdentity(shape, "api-prod-dns")?.marker).toEqual({ type: "aws_route53_zone", name: "example.com" });
    expect(stackIdentity(shape, "api-prod-state")).toBeUndefined();
  });

  it("recognises the stack's state, and not another service's at the same old key", () => {
    const marker = { type: "aws_autoscaling_group", name: "api-prod-us-east-1" };
    expect(stateHolds(state("aws_autoscaling_group", "api-prod-us-east-1"), marker)).toBe(true);
    expect(stateHolds(state("aws_autoscaling_group", "web-prod-us-east-1"), marker)).toBe(false);
    expect(stateHolds(JSON.stringify({ version: 4, resources: [] }), marker)).toBe(false);
    expect(stateHolds("not json", marker)).toBe(false);
  });

  it("stops with the old and new key and the command that moves the state", () => {
    expect(stateElsewhereLine(shape, "api-prod-us-east-1", ["cloudrim/prod/us-east-1.tfstate"])).toBe(
      "api-prod-us-east-1: its state is not at s3://cloudrim-state/cloudrim/api/prod/us-east-1.tfstate but at " +
        "s3://cloudrim-state/cloudrim/prod/us-east-1.tfstate (state.keyPrefix, the service name or the key layout changed); " +
        "nothing was planned or applied. Move it while nothing deploys: `aws s3 mv s3://cloudrim-state/cloudrim/prod/us-east-1.tfstate " +
        's3://cloudrim-state/cloudrim/api/prod/us-east-1.tfstate` (docs/state-and-locks.md, "Moving state")',
    );
  });
});
