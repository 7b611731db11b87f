import { missingBucketMessage, requiredStateBucket } from "../../ops/deploy";
import { planOrThrow } from "../../lib/validate";
import { baseFleet } from "../fixtures";

describe("the state bucket a deploy needs (npm run deploy)", () => {
  const plan = planOrThrow(baseFleet({ createHostedZone: true }));
  const bucket = plan.state;

  it("needs the bucket to exist when a region is deployed without the state stack", () => {
    expect(requiredStateBucket(plan, ["cloudrim-prod-us-east-1"])).toEqual(bucket);
  });

  it("needs it for the hosted zone's stack too: its state lives there as well", () => {
    expect(requiredStateBucket(plan, ["cloudrim-prod-dns"])).toEqual(bucket);
  });

  it("needs nothing when the state stack is deployed in the same run: it goes first", () => {
    expect(
      requiredStateBucket(plan, ["cloudrim-prod-state", "cloudrim-prod-us-east-1", "cloudrim-prod-us-west-2"]),
    ).toBeUndefined();
  });

  it("needs nothing when only the state stack is deployed: it bootstraps the bucket", () => {
    expect(requiredStateBucket(plan, ["cloudrim-prod-state"])).toBeUndefined();
  });

  it("says which field, which bucket and which stack to deploy first", () => {
    expect(missingBucketMessage(bucket)).toBe(
      'state.bucket: "cloudrim-state" does not exist in us-east-1, and the selected stacks keep their state there; ' +
        "deploy the state stack first (npm run deploy -- cloudrim-prod-state) or add it to the selection",
    );
  });
});
