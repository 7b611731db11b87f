import { fleetStatePrefix, retiredRegions, retireCommand } from "../../../state/retired";
import { shapeOrThrow } from "../../../fleet/validate";
import { baseFleet, DEFAULT_APP } from "../../fixtures";

describe("regions the fleet file no longer lists", () => {
  const shape = shapeOrThrow(baseFleet({ service: "api", regions: [{ region: "us-east-1" }] }), DEFAULT_APP);
  const prefix = fleetStatePrefix(shape);

  it("are found by their state keys, under the fleet's own prefix", () => {
    expect(prefix).toBe("cloudrim/api/prod/");
    const states = new Map([
      [`${prefix}state.tfstate`, 4],
      [`${prefix}dns.tfstate`, 1],
      [`${prefix}us-east-1.tfstate`, 31],
      [`${prefix}us-west-2.tfstate`, 31],
      [`${prefix}eu-west-1.tfstate`, 0],
      ["cloudrim/other/prod/ap-south-1.tfstate", 12],
      [`${prefix}us-west-2.tfstate.tflock`, 0],
    ]);
    expect(retiredRegions(shape, states)).toEqual([
      {
        region: "us-west-2",
        stack: "api-prod-us-west-2",
        state: "s3://cloudrim-state/cloudrim/api/prod/us-west-2.tfstate",
        resources: 31,
      },
    ]);
  });

  it("are retired with one command", () => {
    expect(retireCommand({ region: "us-west-2", stack: "s", state: "x", resources: 1 })).toBe(
      "npm run retire -- us-west-2",
    );
  });
});
