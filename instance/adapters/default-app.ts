import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AppFiles } from "../user-data";

/** The app in this repository's app/ (it answers with its port and pid): what a fleet without a release runs. */
export function readDefaultApp(): AppFiles {
  return { "server.js": readFileSync(join(__dirname, "..", "..", "app", "server.js"), "utf8") };
}
