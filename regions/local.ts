import type { FleetConfig } from "../fleet/schema";
import { LOCAL_DEPLOYMENT } from "../fleet/defaults";

/**
 * The fleet `CLOUDRIM_TARGET=local` deploys when CLOUDRIM_CONFIG is not set: the default fleet's two
 * regions under their own deployment name, on small instances. Only choices of the local fleet live
 * here; what the emulator lacks (an image, the hosted zone, your networks) the local target
 * substitutes for any fleet, and prints (fleet/rehearsal.ts). t3.micro has 2 vCPUs, so 3 processes;
 * two instances, one per zone, as in production.
 */
export const localFleet: FleetConfig = {
  service: "cloudrim",
  deployment: LOCAL_DEPLOYMENT,
  domain: "cloudrim.test",
  instanceType: "t3.micro",
  capacity: { min: 2, desired: 2, max: 4 },
  allowedCidrs: ["10.0.0.0/8"],
  state: { bucket: "cloudrim-local-terraform-state", region: "us-east-1" },
  regions: [{ region: "us-east-1" }, { region: "us-west-2" }],
};
