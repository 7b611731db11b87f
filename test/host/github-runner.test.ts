import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/*
 * The pull request workflow's jobs, run as GitHub's hosted runner runs them: an unprivileged user with
 * passwordless sudo, in a checkout of its own. Creating that user needs root (this suite runs as root, as CI
 * does). The long suites are not run twice: the checks job's command runs whole (static checks, unit and
 * synth tests), the suites job's commands each prove their way of running (the local AWS from the python3
 * first on PATH, as the runner's user; the host suite through sudo) on one test file.
 */
jest.setTimeout(15 * 60_000);

const PROJECT = join(__dirname, "..", "..");
const USER = "cloudrim-runner";

let work: string | undefined;
let repo: string;
let localAws: string;

/** Runs a shell command in the checkout as the runner's user, with the environment a GitHub job gives it. */
function asRunner(command: string): { status: number; output: string } {
  // Niced: this file is not what sets the suite's length, so it yields the CPU to the end-to-end scenarios.
  const result = spawnSync(
    "nice",
    [
      "-n",
      "10",
      "runuser",
      "-u",
      USER,
      "--",
      "env",
      "-i",
      `HOME=/home/${USER}`,
      `USER=${USER}`,
      // As on a GitHub runner: the sbin directories too (haproxy lives in /usr/sbin).
      `PATH=${join(localAws, "bin")}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      "CI=true",
      "CHECKPOINT_DISABLE=1",
      "LANG=C.UTF-8",
      "bash",
      "-c",
      command,
    ],
    { cwd: repo, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** Nothing when the command passed; the end of its output (what failed) when it did not. */
const failure = ({ status, output }: { status: number; output: string }) =>
  status === 0 ? "" : `exit ${status}:\n${output.split("\n").slice(-40).join("\n")}`;

beforeAll(() => {
  if (spawnSync("id", ["-u", USER]).status !== 0) {
    execFileSync("useradd", ["--create-home", "--shell", "/bin/bash", USER]);
  }
  writeFileSync(`/etc/sudoers.d/${USER}`, `${USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
  const dir = mkdtempSync(join(tmpdir(), "cloudrim-runner-"));
  work = dir;
  chmodSync(dir, 0o755);
  repo = join(dir, "repo");
  mkdirSync(repo);
  // The checkout: every file git would check out, as the working copy has it now.
  execFileSync(
    "bash",
    ["-c", `git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "${repo}"`],
    {
      cwd: PROJECT,
    },
  );
  execFileSync("chown", ["-R", `${USER}:${USER}`, repo]);
  // The packages as `npm ci` installed them: linked, read-only for the runner (nothing writes there).
  execFileSync("cp", ["-al", join(PROJECT, "node_modules"), join(repo, "node_modules")]);
  execFileSync("touch", [join(repo, "node_modules", ".package-lock.json")]);
  // The local AWS where python3 sees it: an environment whose bin comes first on PATH, as the workflow makes it.
  // This machine reaches no package index, so the environment links the moto this machine has installed.
  localAws = join(dir, "local-aws");
  execFileSync("/usr/bin/python3", ["-m", "venv", "--without-pip", localAws]);
  const installed = execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], {
    encoding: "utf8",
  }).trim();
  execFileSync("cp", ["-al", installed, join(dir, "site-packages")]);
  const purelib = execFileSync(
    join(localAws, "bin", "python3"),
    ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
    {
      encoding: "utf8",
    },
  ).trim();
  writeFileSync(join(purelib, "local-aws.pth"), `${join(dir, "site-packages")}\n`);
});

afterAll(() => {
  rmSync(`/etc/sudoers.d/${USER}`, { force: true });
  spawnSync("userdel", ["--remove", USER]);
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe("the pull request workflow's jobs, as GitHub's unprivileged runner user with passwordless sudo", () => {
  it("runs as a user that is not root and whose sudo asks for no password", () => {
    expect(asRunner("id -u").output.trim()).not.toBe("0");
    expect(asRunner("sudo -n id -u").output.trim()).toBe("0");
  });

  it("passes the checks job: the fleet file check, static checks, unit, integration and synth tests, terraform validate", () => {
    // The job's own command; what it checks is narrowed, as the rest already ran as root in this make test and is
    // the same code for the runner's user: eslint and prettier to two folders (eslint over the whole tree took 34 s of
    // CPU in a run here), the suites to one file of each project, the synth one with a real terraform init and validate
    // through the provider mirror (one stack: terraform-validate.test.ts's fourteen cost some 45 s of CPU more).
    const select = "JEST_SELECT='test/integration/workflows.test.ts test/synth/ci-roles.test.ts' LINT_PATHS='cli ci'";
    const result = asRunner(`scripts/check-fleet-file.sh && ${select} make test-fast`);
    expect(failure(result)).toBe("");
    expect(result.output).toMatch(/^jest: \d+ passed, 0 failed, 0 skipped$/m);
    expect(existsSync(join(repo, ".local", "jest-results.json"))).toBe(true);
  });

  it("runs the end-to-end suite's local AWS as the runner's user, from the python3 first on PATH", () => {
    expect(asRunner("command -v python3").output.trim()).toBe(join(localAws, "bin", "python3"));
    // One of the file's cases: the local AWS, a group and a refresh as the runner's user (the rest ran as root).
    const refresh = '-t "launches new instances before it terminates old ones"';
    const result = asRunner(`npx jest test/e2e/local-aws-refresh.test.ts --selectProjects e2e --ci ${refresh}`);
    expect(failure(result)).toBe("");
    expect(result.output).toMatch(/Tests:\s+\d+ skipped, 1 passed, \d+ total/);
  });

  it("runs the host suite through the runner's sudo, which it needs (it creates the service user)", () => {
    const booting = 'npx jest test/host/host.test.ts --selectProjects host --ci -t "answers on every port"';
    const unprivileged = asRunner(booting);
    expect(unprivileged.status).not.toBe(0);
    expect(unprivileged.output).toContain("booting the sandbox needs root");
    const result = asRunner(`sudo -n --preserve-env=PATH,CHECKPOINT_DISABLE,CI env "PATH=$PATH" ${booting}`);
    expect(failure(result)).toBe("");
    expect(result.output).toMatch(/Tests:\s+\d+ skipped, \d+ passed, \d+ total/);
  });
});
