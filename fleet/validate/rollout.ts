/*
 * The rollout's waves against the fleet's regions, and one instance first against each region's group.
 */
import { DEFAULTS } from "../defaults";
import { resolveSettings } from "../region-settings";
import type { ParsedFleetConfig } from "../schema";
import type { Problem } from "./problems";

export function checkRollout(config: ParsedFleetConfig): Problem[] {
  return [...checkWaves(config), ...checkFirstInstance(config)];
}

/** Every region in a wave, and no name that is not a region of the fleet (a region in two waves is a repeat). */
function checkWaves(config: ParsedFleetConfig): Problem[] {
  const waves = config.rollout.waves;
  if (waves === undefined) return [];
  const regions = config.regions.map((r) => r.region);
  const problems: Problem[] = [];
  waves.forEach((wave, w) => {
    wave.forEach((name, i) => {
      if (!regions.includes(name)) {
        problems.push({
          path: `rollout.waves[${w}][${i}]`,
          value: name,
          message: `is not a region of this fleet (its regions: ${regions.join(", ")}); list only regions from regions[]`,
        });
      }
    });
  });
  const placed = new Set(waves.flat());
  const missing = regions.filter((r) => !placed.has(r));
  if (missing.length > 0) {
    problems.push({
      path: "rollout.waves",
      value: waves,
      message: `leaves out ${missing.join(", ")}: every region of the fleet must be in exactly one wave; add ${missing.length === 1 ? "it" : "them"} to a wave (the last one rolls last)`,
    });
  }
  return problems;
}

/** One instance first, asked for, needs a refresh to stop and a second instance to stay on the old version. */
function checkFirstInstance(config: ParsedFleetConfig): Problem[] {
  if (config.rollout.firstInstance !== true) return [];
  if (!config.instanceRefresh) {
    return [
      {
        path: "rollout.firstInstance",
        value: true,
        message:
          "needs instanceRefresh: without a refresh no instance is replaced to be judged first; turn instanceRefresh on or leave firstInstance out",
      },
    ];
  }
  const single = config.regions
    .map((entry, index) => ({
      entry,
      desired: (resolveSettings(config, index).capacity.value ?? DEFAULTS.capacity).desired,
    }))
    .filter((r) => r.desired < 2);
  if (single.length === 0) return [];
  const named = single.map((r) => `${r.entry.region} (capacity.desired ${r.desired})`).join(", ");
  return [
    {
      path: "rollout.firstInstance",
      value: true,
      message: `needs groups of at least 2 instances, so that one is replaced first while the others serve: ${named}; raise capacity.desired there or leave firstInstance out`,
    },
  ];
}
