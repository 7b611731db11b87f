/*
 * The rollout's waves against the fleet's regions.
 */
import type { ParsedFleetConfig } from "../schema";
import type { Problem } from "./problems";

/** Every region in a wave, and no name that is not a region of the fleet (a region in two waves is a repeat). */
export function checkRollout(config: ParsedFleetConfig): Problem[] {
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
