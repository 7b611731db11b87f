/*
 * The TypeScript loader of the commands the scenarios start (`node -r ./test/e2e/swc-register.js
 * scripts/NAME.ts`) and of the synths they run (main.ts, through CLOUDRIM_TS_LOADER): the project's .ts files
 * transpiled by swc, the transpiler jest runs the scenarios' own code with, and kept by content in a cache;
 * everything else loads as node loads it. The user's `npm run NAME` and `cdktf synth` load them with tsx, which
 * hooks every module it loads, node_modules included: measured here, a command's start took 1.3 to 1.5 s of CPU
 * with tsx and 0.8 s with this (`npm run deploy -- --help`), a synth 1.9 s and 0.9 s, and the scenarios start
 * some 140 commands and synthesize before each (docs/testing.md). Same source, same node; only the transpiler
 * differs, as it already does in jest.
 */
const Module = require("node:module");
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const { tmpdir, userInfo } = require("node:os");
const { join } = require("node:path");

const cache = join(tmpdir(), `cloudrim-swc-${userInfo().uid}`);
mkdirSync(cache, { recursive: true });
const options = {
  jsc: { parser: { syntax: "typescript" }, target: "es2022" },
  module: { type: "commonjs" },
  sourceMaps: "inline",
};
let swc;

Module._extensions[".ts"] = (module, filename) => {
  const source = readFileSync(filename, "utf8");
  const key = createHash("sha256").update(filename).update("\0").update(source).digest("hex");
  const cached = join(cache, `${key}.js`);
  let code;
  try {
    code = readFileSync(cached, "utf8");
  } catch {
    swc ??= require("@swc/core");
    code = swc.transformSync(source, { ...options, filename }).code;
    // Written whole or not at all: commands started side by side share the cache.
    const partial = `${cached}.${process.pid}`;
    writeFileSync(partial, code);
    renameSync(partial, cached);
  }
  module._compile(code, filename);
};
