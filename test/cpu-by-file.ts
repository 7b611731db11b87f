import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, relative } from "node:path";

/*
 * With CLOUDRIM_CPU_BY_FILE=<file> (jest.config.js adds this setup file then): each test file's CPU, its own and
 * its waited-for descendants' (Terraform, its providers, moto, the live fleet), appended to <file> as one JSON line.
 * A jest worker runs one file at a time, so the difference of its /proc/self/stat times across a file is that
 * file's. `node tools/cpu-by-file.js <file>` sums them up.
 */

const TICKS_PER_SECOND = 100;

/** utime, stime, cutime and cstime of this process, in seconds. */
function cpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  // The command name is in parentheses and may contain spaces: the fields counted after its closing one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime is field 14 of stat(5); after the name and state, index 11.
  return fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0) / TICKS_PER_SECOND;
}

const output = process.env.CLOUDRIM_CPU_BY_FILE ?? "";
let started = 0;
let startedAt = 0;

beforeAll(() => {
  started = cpuSeconds();
  startedAt = Date.now();
});

afterAll(() => {
  if (output === "") return;
  mkdirSync(dirname(output), { recursive: true });
  const file = relative(process.cwd(), expect.getState().testPath ?? "");
  const line = { file, cpuSeconds: +(cpuSeconds() - started).toFixed(1), wallSeconds: (Date.now() - startedAt) / 1000 };
  appendFileSync(output, `${JSON.stringify(line)}\n`);
});
