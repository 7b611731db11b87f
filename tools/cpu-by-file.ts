/*
 * Sums up a CLOUDRIM_CPU_BY_FILE record (test/cpu-by-file.ts): each test file's CPU (its descendants' included) and
 * wall seconds, the most CPU first, and the total. Usage: node --import tsx tools/cpu-by-file.ts <record>
 */
import { readFileSync } from "node:fs";

interface Row {
  readonly file: string;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
}

const [path] = process.argv.slice(2);
if (path === undefined) {
  console.error("usage: node --import tsx tools/cpu-by-file.ts <file written with CLOUDRIM_CPU_BY_FILE>");
  process.exit(2);
}
const rows = readFileSync(path, "utf8")
  .split("\n")
  .filter((line) => line !== "")
  .map((line) => JSON.parse(line) as Row)
  .sort((a, b) => b.cpuSeconds - a.cpuSeconds);
for (const { file, cpuSeconds, wallSeconds } of rows) {
  console.log(`${cpuSeconds.toFixed(1).padStart(8)} s CPU ${wallSeconds.toFixed(0).padStart(6)} s wall  ${file}`);
}
const total = rows.reduce((sum, r) => sum + r.cpuSeconds, 0);
console.log(`${total.toFixed(1).padStart(8)} s CPU in ${rows.length} files`);
