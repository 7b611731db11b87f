import type { FleetConfig } from "../lib/config";

/**
 * The fleet `CLOUDRIM_TARGET=local` deploys when CLOUDRIM_CONFIG is not set: the default fleet's two
 * regions on the local AWS (moto). It creates its own hosted zone (a fresh emulator has none) and looks
 * up an image moto ships (Ubuntu, whose repositories carry runit too); t3.micro has 2 vCPUs, so 3
 * processes per instance.
 */
export const localFleet: FleetConfig = {
  service: "cloudrim",
  deployment: "local",
  domain: "cloudrim.test",
  createHostedZone: true,
  instanceType: "t3.micro",
  capacity: { min: 1, desired: 1, max: 2 },
  // moto does not implement StartInstanceRefresh (the provider would retry it forever).
  instanceRefresh: false,
  allowedCidrs: ["10.0.0.0/8"],
  ami: { owners: ["099720109477"], name: "ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-{arch}-server-*" },
  state: { bucket: "cloudrim-local-terraform-state", region: "us-east-1" },
  regions: [{ region: "us-east-1" }, { region: "us-west-2" }],
};
