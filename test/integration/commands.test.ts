import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  defineCommand,
  exitCodesOf,
  helpOf,
  parseCommandLine,
  runCommand,
  usageExitCodeOf,
  usageOf,
  type Command,
} from "../../cli/command";
import { UsageError, UserFacingError, userMessageOf } from "../../cli/console";
import { command as bench } from "../../bench/run";
import { command as host } from "../../host/main";
import { command as live } from "../../live/main";
import { command as endpoints } from "../../scripts/endpoints";
import { command as ciRoles } from "../../scripts/ci-roles";
import { command as demo } from "../../scripts/demo";
import { command as deploy } from "../../scripts/deploy";
import { command as images } from "../../scripts/images";
import { command as plan } from "../../scripts/plan";
import { command as release } from "../../scripts/release";
import { command as retire } from "../../scripts/retire";
import { command as teardown } from "../../scripts/teardown";
import { command as unlock } from "../../scripts/unlock";
import { commandFile } from "../../tools/docs-check";

const ROOT = join(__dirname, "..", "..");
const COMMANDS = [deploy, plan, teardown, retire, unlock, ciRoles, demo, endpoints, release, images, host, live, bench];

/** Runs a command in process, capturing what it prints; its run function is a spy that records any call. */
async function invoke(command: Command, argv: readonly string[]) {
  const ran: unknown[] = [];
  const spied: Command = {
    ...command,
    run: (args) => {
      ran.push(args);
      return Promise.resolve(0);
    },
  };
  let stdout = "";
  let stderr = "";
  const code = await runCommand(spied, argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr, ran };
}

describe.each(COMMANDS.map((c) => [c.name, c] as const))("npm run %s", (name, command) => {
  it("--help prints its usage, options, environment and exit codes on stdout, exits 0, and does nothing", async () => {
    const { code, stdout, stderr, ran } = await invoke(command, ["--help"]);
    expect({ code, stderr, ran }).toEqual({ code: 0, stderr: "", ran: [] });
    expect(stdout.startsWith(`usage: npm run ${name} --`)).toBe(true);
    expect(stdout).toContain(command.summary);
    for (const option of Object.keys(command.options)) expect(stdout).toContain(`--${option}`);
    for (const variable of command.environment) expect(stdout).toMatch(new RegExp(`^  ${variable.name} `, "m"));
    for (const exit of exitCodesOf(command)) expect(stdout).toMatch(new RegExp(`^  ${exit.code} +\\S`, "m"));
    if (command.positional !== undefined) expect(stdout).toContain(command.positional.name);
  });

  it("-h is --help, wherever it stands, whatever else is on the line", async () => {
    for (const argv of [
      ["--no-such-option", "-h"],
      ["--outdir", "--help"],
    ]) {
      const { code, stdout, ran } = await invoke(command, argv);
      expect({ code, ran }).toEqual({ code: 0, ran: [] });
      expect(stdout).toBe(helpOf(command));
    }
  });

  it("refuses an unknown option in one line naming it, then the usage, with its usage exit code, doing nothing", async () => {
    const { code, stdout, stderr, ran } = await invoke(command, ["--no-such-option"]);
    expect({ code, stdout, ran }).toEqual({ code: usageExitCodeOf(command), stdout: "", ran: [] });
    expect(stderr.split("\n")[0]).toBe(`${name}: unknown option --no-such-option`);
    expect(stderr).toContain(usageOf(command));
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it("names every option in its usage line", () => {
    expect(Object.keys(command.options).filter((option) => !usageOf(command).includes(`--${option}`))).toEqual([]);
  });
});

describe("the npm scripts", () => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts;
  const commandScripts = Object.entries(scripts).flatMap(([name, line]) => {
    const file = commandFile(line);
    return file === undefined ? [] : [[name, file] as const];
  });

  it("run commands that are all defined here (the list above is every one of them)", () => {
    expect(commandScripts.map(([name]) => name).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it.each(commandScripts)("%s runs a file whose definition is named after the script", async (name, file) => {
    const module = (await import(resolve(ROOT, file))) as { command?: Command };
    expect(module.command?.name).toBe(name);
  });

  it("give every exit code one meaning, and keep 2 for a mistyped command line except where 2 means changes", () => {
    for (const command of COMMANDS) {
      const codes = exitCodesOf(command).map((e) => e.code);
      expect(new Set(codes).size).toBe(codes.length);
    }
    expect(COMMANDS.filter((c) => usageExitCodeOf(c) !== 2).map((c) => c.name)).toEqual(["plan"]);
    expect(exitCodesOf(plan).find((e) => e.code === 2)?.meaning).toMatch(/^changes/);
  });
});

describe("reading a command line", () => {
  const sample = defineCommand({
    name: "sample",
    summary: "A command to read command lines with.",
    description: [],
    options: {
      yes: { type: "boolean", default: false, description: "agree" },
      outdir: { type: "string", value: "DIR", default: "cdktf.out", description: "where" },
      reviewed: { type: "string", value: "DIR", multiple: true, description: "reviewed sets" },
      repository: { type: "string", value: "OWNER/REPO", required: true, description: "whose" },
    },
    positional: { name: "region", count: "one", description: "which" },
    environment: [],
    exitCodes: [{ code: 0, meaning: "done" }],
    onInterrupt: "exit",
    run: () => Promise.resolve(0),
  });
  const read = (...argv: string[]) => parseCommandLine(sample, argv);
  const problem = (...argv: string[]) => {
    const parsed = read(...argv);
    return parsed.kind === "usage" ? parsed.problem : parsed.kind;
  };

  it("gives the values typed, with their defaults, and the arguments", () => {
    expect(read("--repository", "a/b", "us-east-1", "--reviewed", "x", "--reviewed=y")).toEqual({
      kind: "run",
      values: { yes: false, outdir: "cdktf.out", repository: "a/b", reviewed: ["x", "y"] },
      positionals: ["us-east-1"],
    });
  });

  it("refuses a value missing, a value given to a flag, and an option taken for a value", () => {
    expect(problem("--repository", "a/b", "r", "--outdir")).toBe("--outdir needs a value");
    expect(problem("--repository", "a/b", "r", "--yes=no")).toBe('--yes takes no value (got "no")');
    expect(problem("--repository", "a/b", "r", "--outdir", "--yes")).toBe(
      "--outdir needs a value (got the option --yes)",
    );
    expect(read("--repository", "a/b", "r", "--outdir=-odd").kind).toBe("run");
  });

  it("refuses an option given twice that is not a list, and a required option left out", () => {
    expect(problem("--repository", "a/b", "r", "--outdir", "a", "--outdir", "b")).toBe(
      "--outdir is given more than once",
    );
    expect(problem("r")).toBe("missing --repository OWNER/REPO");
  });

  it("takes exactly the arguments the command names; after -- anything is an argument", () => {
    expect(problem("--repository", "a/b")).toBe("missing <region>");
    expect(problem("--repository", "a/b", "r", "s")).toBe('one <region> only (got "r", "s")');
    expect(read("--repository", "a/b", "--", "--odd")).toMatchObject({ kind: "run", positionals: ["--odd"] });
    expect(read("--repository", "a/b", "--", "--help")).toMatchObject({ kind: "run", positionals: ["--help"] });
    expect(parseCommandLine(teardown, ["x"])).toEqual({
      kind: "usage",
      problem: 'unexpected argument "x" (this command takes none)',
    });
  });

  it("shows required options bare, optional ones in brackets, lists with dots, and the argument", () => {
    expect(usageOf(sample)).toBe(
      "usage: npm run sample -- [--yes] [--outdir DIR] [--reviewed DIR]... --repository OWNER/REPO <region>\n",
    );
  });
});

describe("how a command ends", () => {
  const failing = (error: Error): Command =>
    defineCommand({
      name: "failing",
      summary: "Fails.",
      description: [],
      options: {},
      environment: [],
      exitCodes: [{ code: 0, meaning: "done" }],
      onInterrupt: "exit",
      run: () => Promise.reject(error),
    });
  const run = async (error: Error) => {
    let stderr = "";
    const code = await runCommand(failing(error), [], {
      stdout: () => undefined,
      stderr: (text) => (stderr += text),
    });
    return { code, stderr };
  };

  it("a user's error: its message, exit 1, no stack trace", async () => {
    expect(await run(new UserFacingError("state.bucket: taken"))).toEqual({
      code: 1,
      stderr: "failing: state.bucket: taken\n",
    });
  });

  it("a bad value found by the run: the message and the usage, exit 2", async () => {
    const { code, stderr } = await run(new UsageError("--parallelism: got 0"));
    expect(code).toBe(2);
    expect(stderr).toBe(
      `failing: --parallelism: got 0\n${usageOf(failing(new Error()))}(npm run failing -- --help says more)\n`,
    );
  });

  it("AWS without credentials, or refusing a call: what AWS said and what to do, no stack trace", async () => {
    const missing = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const { code, stderr } = await run(missing);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^failing: no AWS credentials: Could not load credentials from any providers; sign in/);
    expect(stderr).not.toMatch(/^\s+at /m);
    const expired = Object.assign(new Error("The security token included in the request is expired"), {
      name: "ExpiredToken",
      $metadata: { httpStatusCode: 403 },
    });
    expect(userMessageOf(expired)).toBe(
      "AWS refused a call (ExpiredToken, HTTP 403): The security token included in the request is expired",
    );
  });

  it("a bug: exit 1 and its stack trace, to report", async () => {
    const { code, stderr } = await run(new TypeError("cannot read properties of undefined"));
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^failing: unexpected error \(a bug: please report it with this trace\): TypeError: cannot read/,
    );
    expect(stderr).toMatch(/^\s+at /m);
  });
});
