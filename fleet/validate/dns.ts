/*
 * The DNS settings that span regions: the hosted zone the fleet creates, the retired ttl, and the name
 * that spans regions (inside the domain, a valid name, not one of the fleet's other names).
 */
import type { ParsedFleetConfig } from "../schema";
import type { FleetShape } from "../shape";
import type { Problem } from "./problems";

/** The fleet creates public zones only. */
export function checkHostedZone(config: ParsedFleetConfig): Problem[] {
  if (!(config.createHostedZone && config.privateZone)) return [];
  return [
    {
      path: "createHostedZone",
      value: true,
      message:
        "creates public zones only (a private zone needs its VPCs associated); create the private zone yourself and set createHostedZone to false",
    },
  ];
}

const TTL_GONE =
  "is no longer used: every record is an alias record now, and Route 53 answers alias records with their target's TTL (60 s for a load balancer); remove ttl";

/** The DNS settings that span regions: the retired ttl, and the global name. */
export function checkRecordSettings(config: ParsedFleetConfig, shape: FleetShape): Problem[] {
  const problems: Problem[] = [];
  if (config.ttl !== undefined) problems.push({ path: "ttl", value: config.ttl, message: TTL_GONE });
  config.regions.forEach((entry, index) => {
    if (entry.ttl !== undefined) problems.push({ path: `regions[${index}].ttl`, value: entry.ttl, message: TTL_GONE });
  });
  const { globalName } = config;
  if (typeof globalName === "string") {
    const inside = globalName === config.domain || globalName.endsWith(`.${config.domain}`);
    const labels = globalName.split(".");
    if (!inside) {
      problems.push({
        path: "globalName",
        value: globalName,
        message: `must be a name inside domain (${config.domain}), e.g. "www.${config.domain}", or false for no global name`,
      });
    } else if (globalName.length > 253 || labels.some((l) => !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) {
      problems.push({
        path: "globalName",
        value: globalName,
        message: "must be a DNS name: lowercase letters, digits and hyphens in labels of at most 63 characters",
      });
    } else {
      const taken = shape.regions.flatMap((r) => [r.regionalName, ...r.ports.map((p) => p.aliasName)]);
      if (taken.includes(globalName)) {
        problems.push({
          path: "globalName",
          value: globalName,
          message: "is already a regional or per-port name of this fleet; pick another name",
        });
      }
    }
  }
  return problems;
}
