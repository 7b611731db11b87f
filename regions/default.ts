import type { FleetConfig } from "../fleet/schema";

/**
 * The fleet `cdktf synth` builds when CLOUDRIM_CONFIG is not set: two regions, defaults everywhere
 * else (m5.large: 2 vCPUs, so 3 processes on ports 9000-9002 behind 3 load balancers per region).
 */
export const defaultFleet: FleetConfig = {
  service: "cloudrim",
  deployment: "prod",
  domain: "cloudrim.example.com",
  allowedCidrs: ["10.0.0.0/8"],
  state: { bucket: "cloudrim-prod-terraform-state", region: "us-east-1" },
  regions: [{ region: "us-east-1" }, { region: "us-west-2" }],
};
