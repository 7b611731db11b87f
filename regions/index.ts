import type { BuiltInFleets } from "../fleet/target";
import { defaultFleet } from "./default";
import { localFleet } from "./local";

/** The fleets the commands use when CLOUDRIM_CONFIG names no file: one for AWS, one for the local AWS. */
export const BUILT_IN_FLEETS: BuiltInFleets = {
  aws: { source: "regions/default.ts", input: defaultFleet },
  local: { source: "regions/local.ts", input: localFleet },
};
