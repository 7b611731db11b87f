import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseJson } from "../json-errors";
import type { BuiltInFleets, Target } from "../target";
import type { Problem } from "../validate/problems";

export const CONFIG_ENV = "CLOUDRIM_CONFIG";

export type LoadedConfig =
  | { readonly ok: true; readonly source: string; readonly input: unknown }
  | { readonly ok: false; readonly source: string; readonly problems: readonly Problem[] };

/** The fleet definition: the JSON file named by CLOUDRIM_CONFIG, or the built-in fleet for the target. */
export function loadFleetInput(
  env: NodeJS.ProcessEnv,
  cwd: string,
  target: Target,
  builtIn: BuiltInFleets,
): LoadedConfig {
  const file = env[CONFIG_ENV];
  if (file === undefined || file === "") return { ok: true, ...builtIn[target.kind] };
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      ok: false,
      source: path,
      problems: [
        { path: CONFIG_ENV, value: file, message: `cannot be read (${reason}); point it at a fleet JSON file` },
      ],
    };
  }
  const json = parseJson(text);
  return json.ok
    ? { ok: true, source: path, input: json.value }
    : {
        ok: false,
        source: path,
        problems: [{ path: CONFIG_ENV, value: file, message: `is not valid JSON: ${json.error}` }],
      };
}
