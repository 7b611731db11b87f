// The unit project is pure: a test there that starts a process or writes to disk fails, naming the call.
// (Such tests belong in test/integration/.) Reading files (fixtures, recorded answers) stays allowed.
const refuse = (module: string, name: string) => () => {
  throw new Error(
    `a unit test called ${module}.${name}: unit tests start no process and write nothing to disk; move the test to test/integration/`,
  );
};

function guarded<T extends object>(module: string, real: T, names: readonly string[]): T {
  return { ...real, ...Object.fromEntries(names.map((name) => [name, refuse(module, name)])) };
}

const PROCESS_CALLS = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"];
const WRITES = [
  "writeFileSync",
  "writeFile",
  "appendFileSync",
  "appendFile",
  "mkdirSync",
  "mkdir",
  "mkdtempSync",
  "mkdtemp",
  "rmSync",
  "rm",
  "unlinkSync",
  "unlink",
  "renameSync",
  "rename",
  "copyFileSync",
  "copyFile",
  "cpSync",
  "cp",
  "symlinkSync",
  "symlink",
  "createWriteStream",
];

for (const name of ["child_process", "node:child_process"]) {
  jest.mock(name, () => guarded("child_process", jest.requireActual<object>("node:child_process"), PROCESS_CALLS));
}
for (const name of ["fs", "node:fs"]) {
  jest.mock(name, () => guarded("fs", jest.requireActual<object>("node:fs"), WRITES));
}
