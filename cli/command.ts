/*
 * Every command (`npm run deploy`, `make demo`, …) is one declarative definition: what it is for, its options,
 * arguments, environment and exit codes, and its run function. From that one definition come its `--help`, its
 * usage line, the parse of its arguments (node:util parseArgs), the refusal of an unknown option or a bad value
 * (one line and the usage, before anything runs), the one start-up path with its interrupt handling, and how an
 * error ends the command (a user's error: its message; a bug: the stack trace). So help and code cannot drift,
 * and no command can forget its Ctrl-C.
 */
import { parseArgs } from "node:util";
import { progressPrinter, UsageError, userMessageOf } from "./console";
import { handleInterrupts, interruption } from "./interrupt";

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly description: string;
  /** The value's name in help and usage: `--outdir DIR`. @default "VALUE" */
  readonly value?: string;
  /** May be given more than once; the values come as a list. */
  readonly multiple?: boolean;
  /** Must be given (a string option): the command refuses to start without it. */
  readonly required?: boolean;
  readonly default?: string | boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface PositionalSpec {
  /** As usage shows it: `region`, `stack glob`. */
  readonly name: string;
  readonly description: string;
  /** Exactly one, or any number (none included). */
  readonly count: "one" | "any";
}

export interface EnvironmentSpec {
  readonly name: string;
  readonly description: string;
}

export interface ExitCodeSpec {
  readonly code: number;
  readonly meaning: string;
}

type ParsedWith<O extends OptionSpecs> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true; args: string[] }>
>;

export interface CommandArgs<O extends OptionSpecs, P extends PositionalSpec | undefined> {
  readonly values: ParsedWith<O>["values"];
  readonly positionals: P extends { readonly count: "one" } ? readonly [string] : readonly string[];
}

export interface CommandContext {
  /** `[  12s] deploy: …` on stderr: the command's progress lines, and the interrupt handler's. */
  readonly progress: (line: string) => void;
  /** Aborted by the first SIGINT or SIGTERM (a command that stops on its own watches it). */
  readonly signal: AbortSignal;
}

export interface CommandDefinition<O extends OptionSpecs, P extends PositionalSpec | undefined> {
  /** The npm script's name (`deploy`); also the prefix of the command's messages. */
  readonly name: string;
  /** One line: what the command does. */
  readonly summary: string;
  /** What it does, in paragraphs (the reference: there is no other). */
  readonly description: readonly string[];
  readonly options: O;
  readonly positional?: P;
  /** Every environment variable the command reads. */
  readonly environment: readonly EnvironmentSpec[];
  /** The command's own exit codes; the usage error's and 130 (interrupted) are added. */
  readonly exitCodes: readonly ExitCodeSpec[];
  /**
   * The exit code of an unknown option or a bad value. @default 2 (`plan` has its own: its 2 says the plans
   * change, as Terraform's -detailed-exitcode does, and CI reads it)
   */
  readonly usageExitCode?: number;
  /**
   * What the first SIGINT or SIGTERM does. "finish": it is forwarded once to every running Terraform, nothing
   * new starts, waits end, the run returns and the command exits 130 (a second signal stops at once). "exit":
   * the command has nothing to save and exits 130 at once.
   */
  readonly onInterrupt: "finish" | "exit";
  readonly run: (args: CommandArgs<O, P>, context: CommandContext) => Promise<number>;
}

/** A command as the runner and the tests handle it, whatever its options. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly description: readonly string[];
  readonly options: OptionSpecs;
  readonly positional?: PositionalSpec;
  readonly environment: readonly EnvironmentSpec[];
  readonly exitCodes: readonly ExitCodeSpec[];
  readonly usageExitCode?: number;
  readonly onInterrupt: "finish" | "exit";
  readonly run: (args: { values: unknown; positionals: readonly string[] }, context: CommandContext) => Promise<number>;
}

/** Keeps the options' literal types, so the run function reads typed values. */
export function defineCommand<const O extends OptionSpecs, const P extends PositionalSpec | undefined = undefined>(
  definition: CommandDefinition<O, P>,
): Command {
  return definition as unknown as Command;
}

export const INTERRUPTED = 130;

export function usageExitCodeOf(command: Command): number {
  return command.usageExitCode ?? 2;
}

/** Every exit code with its meaning: the command's own, the usage error's, and an interruption's. */
export function exitCodesOf(command: Command): ExitCodeSpec[] {
  return [
    ...command.exitCodes,
    { code: usageExitCodeOf(command), meaning: "usage: an unknown option, a bad value or a missing argument" },
    {
      code: INTERRUPTED,
      meaning:
        command.onInterrupt === "finish"
          ? "interrupted (SIGINT, SIGTERM): running Terraforms stopped cleanly, state saved; run it again to finish"
          : "interrupted (SIGINT, SIGTERM)",
    },
  ].sort((a, b) => a.code - b.code);
}

function flagOf(name: string, option: OptionSpec): string {
  return option.type === "boolean" ? `--${name}` : `--${name} ${option.value ?? "VALUE"}`;
}

function optionSynopsis(name: string, option: OptionSpec): string {
  const flag = option.required === true ? flagOf(name, option) : `[${flagOf(name, option)}]`;
  return `${flag}${option.multiple === true ? "..." : ""}`;
}

function positionalSynopsis(positional: PositionalSpec): string {
  return positional.count === "one" ? `<${positional.name}>` : `[${positional.name}...]`;
}

/** Words (or whole phrases: `[--outdir DIR]`) wrapped at `width`, every line after the first indented by `indent`. */
function wrap(text: string | readonly string[], width: number, indent: string, first = ""): string {
  const lines: string[] = [];
  let line = first;
  const words = typeof text === "string" ? text.split(/\s+/) : text;
  for (const word of words.filter((w) => w !== "")) {
    const candidate = line.trim() === "" ? `${line}${word}` : `${line} ${word}`;
    if (candidate.length > width && line.trim() !== "") {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = candidate;
    }
  }
  lines.push(line);
  return lines.join("\n");
}

const WIDTH = 100;

/** `usage: npm run deploy -- [--yes] [--outdir DIR] … [stack glob...]`, wrapped: derived from the options. */
export function usageOf(command: Command): string {
  const parts = [
    ...Object.entries(command.options).map(([name, option]) => optionSynopsis(name, option)),
    ...(command.positional === undefined ? [] : [positionalSynopsis(command.positional)]),
  ];
  const head = `usage: npm run ${command.name} --`;
  return `${wrap(parts, WIDTH, " ".repeat(head.length + 1), head)}\n`;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const column = Math.min(Math.max(...rows.map(([left]) => left.length)) + 2, 28);
  return rows.map(([left, right]) => {
    // The description starts a column further on, after the space wrap() puts between words.
    const pad = left.length + 2 > column ? `${left}\n${" ".repeat(column + 2)}` : left.padEnd(column);
    return wrap(right, WIDTH, " ".repeat(column + 3), `  ${pad}`);
  });
}

/** The command's `--help`: its reference. */
export function helpOf(command: Command): string {
  const options: (readonly [string, string])[] = [
    ...Object.entries(command.options).map(([name, option]): readonly [string, string] => {
      const flag = flagOf(name, option);
      const extra = [
        ...(option.required === true ? ["required"] : []),
        ...(option.multiple === true ? ["may be given more than once"] : []),
        ...(typeof option.default === "string" ? [`default: ${option.default}`] : []),
      ];
      return [flag, `${option.description}${extra.length === 0 ? "" : ` (${extra.join("; ")})`}`];
    }),
    ["-h, --help", "print this help and exit"],
  ];
  const sections = [
    usageOf(command).trimEnd(),
    "",
    command.summary,
    ...command.description.flatMap((paragraph) => ["", wrap(paragraph, WIDTH, "")]),
    ...(command.positional === undefined
      ? []
      : ["", "Arguments:", ...table([[positionalSynopsis(command.positional), command.positional.description]])]),
    "",
    "Options:",
    ...table(options),
    ...(command.environment.length === 0
      ? []
      : ["", "Environment:", ...table(command.environment.map((e) => [e.name, e.description] as const))]),
    "",
    "Exit codes:",
    ...table(exitCodesOf(command).map((e) => [String(e.code), e.meaning] as const)),
  ];
  return `${sections.join("\n")}\n`;
}

export type ParsedCommandLine =
  | { readonly kind: "help" }
  | { readonly kind: "usage"; readonly problem: string }
  | { readonly kind: "run"; readonly values: unknown; readonly positionals: readonly string[] };

/**
 * Pure: what a command line asks for. `--help` or `-h` anywhere before `--` wins; otherwise the first problem
 * (an unknown option, a value missing or given where none is taken, a wrong number of arguments) refuses it.
 */
export function parseCommandLine(command: Command, argv: readonly string[]): ParsedCommandLine {
  const config = { options: command.options, allowPositionals: true, args: [...argv] };
  const { tokens } = parseArgs({ ...config, strict: false, tokens: true });
  const options = tokens.flatMap((t) => (t.kind === "option" ? [t] : []));
  // Even where parseArgs would take it for a value (`--outdir --help`).
  const beforeTerminator = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  const asksHelp = beforeTerminator.some((arg) => arg === "--help" || arg === "-h");
  if (asksHelp || options.some((t) => t.name === "help" || t.name === "h")) return { kind: "help" };
  for (const token of options) {
    const option = command.options[token.name];
    if (option === undefined) return { kind: "usage", problem: `unknown option ${token.rawName}` };
    if (option.type === "boolean" && token.value !== undefined) {
      return { kind: "usage", problem: `${token.rawName} takes no value (got "${token.value}")` };
    }
    if (option.type === "string") {
      if (token.value === undefined) return { kind: "usage", problem: `${token.rawName} needs a value` };
      // `--outdir --yes`: parseArgs would take the next option as the value; a value that starts with a dash
      // is written `--outdir=-x`.
      if (!token.inlineValue && token.value.startsWith("-") && token.value !== "-") {
        return { kind: "usage", problem: `${token.rawName} needs a value (got the option ${token.value})` };
      }
    }
  }
  const singles = Object.entries(command.options)
    .filter(([, option]) => option.multiple !== true)
    .map(([name]) => name);
  const repeated = singles.find((name) => options.filter((t) => t.name === name).length > 1);
  if (repeated !== undefined) return { kind: "usage", problem: `--${repeated} is given more than once` };
  const missing = Object.entries(command.options).find(
    ([name, option]) => option.required === true && !options.some((t) => t.name === name),
  );
  if (missing !== undefined) return { kind: "usage", problem: `missing ${flagOf(...missing)}` };
  const { values, positionals } = parseArgs({ ...config, strict: true });
  const { positional } = command;
  if (positional === undefined && positionals.length > 0) {
    return { kind: "usage", problem: `unexpected argument "${positionals[0] ?? ""}" (this command takes none)` };
  }
  if (positional?.count === "one" && positionals.length !== 1) {
    return {
      kind: "usage",
      problem:
        positionals.length === 0
          ? `missing <${positional.name}>`
          : `one <${positional.name}> only (got ${positionals.map((p) => `"${p}"`).join(", ")})`,
    };
  }
  return { kind: "run", values, positionals };
}

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Installs the interrupt handling before the run (the process's signals); tests install none. */
  readonly installInterrupts?: (command: Command, progress: (line: string) => void, abort: () => void) => void;
}

/**
 * Runs a command with its arguments: help (exit 0) and usage errors (exit 2) before anything else, then the
 * interrupt handling, then the run. A user's error prints its message and exits 1; anything else is a bug and
 * keeps its stack trace. Whatever ends a run that an interruption stopped, it exits 130.
 */
export async function runCommand(command: Command, argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandLine(command, argv);
  if (parsed.kind === "help") {
    io.stdout(helpOf(command));
    return 0;
  }
  const refuse = (problem: string) => {
    io.stderr(`${command.name}: ${problem}\n${usageOf(command)}(npm run ${command.name} -- --help says more)\n`);
    return usageExitCodeOf(command);
  };
  if (parsed.kind === "usage") return refuse(parsed.problem);
  const progress = progressPrinter(command.name);
  const controller = new AbortController();
  io.installInterrupts?.(command, progress, () => {
    controller.abort();
  });
  let code: number;
  try {
    code = await command.run(
      { values: parsed.values, positionals: parsed.positionals },
      { progress, signal: controller.signal },
    );
  } catch (error) {
    if (error instanceof UsageError) return refuse(error.message);
    const message = userMessageOf(error);
    io.stderr(
      message === undefined
        ? `${command.name}: unexpected error (a bug: please report it with this trace): ${error instanceof Error ? (error.stack ?? String(error)) : String(error)}\n`
        : `${command.name}: ${message}\n`,
    );
    code = 1;
  }
  return interruption() !== undefined && code !== 0 ? INTERRUPTED : code;
}

/** The process's interrupt handling for a command (see `onInterrupt`). */
function processInterrupts(command: Command, progress: (line: string) => void, abort: () => void): void {
  if (command.onInterrupt === "finish") {
    handleInterrupts(progress, abort);
    return;
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      progress(`${signal}: stopped`);
      process.exit(INTERRUPTED);
    });
  }
}

/** The one start-up path of every command: `if (require.main === module) startCommand(command);`. */
export function startCommand(command: Command): void {
  void runCommand(command, process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    installInterrupts: processInterrupts,
  }).then((code) => {
    process.exitCode = code;
  });
}

/* The options and environment variables several commands share, described once. */

export const OUTDIR_OPTION = {
  type: "string",
  value: "DIR",
  default: process.env.CDKTF_OUTDIR ?? "cdktf.out",
  description: "where the stacks are synthesized",
} as const satisfies OptionSpec;

export const PARALLELISM_OPTION = {
  type: "string",
  value: "N",
  description: "stacks of a wave run at once (default: rollout.maxParallel, else what free memory holds)",
} as const satisfies OptionSpec;

/** The fleet and where it runs: every command that reads the fleet file. */
export const FLEET_ENVIRONMENT: readonly EnvironmentSpec[] = [
  {
    name: "CLOUDRIM_CONFIG",
    description: "the fleet file (default: regions/default.ts; regions/local.ts on the local AWS)",
  },
  {
    name: "CLOUDRIM_TARGET",
    description: '"aws" (the default: your AWS credentials) or "local" (the local AWS, moto)',
  },
  { name: "CLOUDRIM_LOCAL_ENDPOINT", description: "the local AWS's URL (default: http://127.0.0.1:5055)" },
];

/** AWS credentials, as the AWS SDK and Terraform read them. */
export const AWS_ENVIRONMENT: readonly EnvironmentSpec[] = [
  {
    name: "AWS_PROFILE",
    description: "the AWS credentials to use (or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)",
  },
];

/** What a command that runs Terraform reads besides the fleet. */
export const TERRAFORM_ENVIRONMENT: readonly EnvironmentSpec[] = [
  { name: "CDKTF_OUTDIR", description: "the default of --outdir" },
  { name: "CLOUDRIM_LOG_DIR", description: "where each run's Terraform logs go (default: .local/logs)" },
  {
    name: "TF_CLI_CONFIG_FILE",
    description: "Terraform's CLI config, when it names a file (default: tf/mirror.tfrc offline, tf/registry.tfrc)",
  },
];

/** CI=true: what a deploy or a retire without a terminal reads as consent. */
export const CI_ENVIRONMENT: EnvironmentSpec = {
  name: "CI",
  description: '"true" (CI sets it): change AWS without asking, as --yes does',
};
