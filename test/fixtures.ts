import type { FleetConfig } from "../lib/config";

/** A small valid fleet the tests vary one field at a time. */
export function baseFleet(overrides: Partial<FleetConfig> = {}): FleetConfig {
  return {
    deployment: "prod",
    domain: "example.com",
    allowedCidrs: ["10.0.0.0/8"],
    state: { bucket: "cloudrim-state", region: "us-east-1" },
    regions: [{ region: "us-east-1" }, { region: "us-west-2" }],
    ...overrides,
  };
}
