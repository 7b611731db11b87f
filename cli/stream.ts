import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { basename, dirname } from "node:path";
import { track } from "./interrupt";

export interface StreamedRun {
  readonly code: number;
  /** Everything the command printed (stdout and stderr, interleaved as they arrived). */
  readonly output: string;
  /** The last non-empty line it printed. */
  readonly lastLine: string;
}

export interface StreamOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Appended to as output arrives, so a running or hung command's log can be read while it runs. */
  readonly logFile: string;
  /** Seconds without output after which `onStall` hears the last line (again after each further such period). */
  readonly stallSeconds?: number;
  readonly onStall?: (silentSeconds: number, lastLine: string) => void;
  /** What an interruption calls this run (its stack). @default the log file's name */
  readonly label?: string;
  /** Hears the started process's pid, before any of its output. */
  readonly onStart?: (pid: number) => void;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * Runs a command, writing its output to a log file as it arrives (without colour codes) and noticing
 * when it goes quiet. Never throws for a non-zero exit.
 */
export function runStreaming(command: string, args: readonly string[], options: StreamOptions): Promise<StreamedRun> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: "a" });
  log.write(`$ ${[command, ...args].join(" ")}\n`);
  return new Promise((resolve, reject) => {
    // A process group of its own: an interruption reaches it once, forwarded (cli/interrupt.ts).
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const untrack = track(child, options.label ?? basename(options.logFile));
    if (child.pid !== undefined) options.onStart?.(child.pid);
    let output = "";
    let lastLine = "";
    let lastOutputAt = Date.now();
    const onData = (chunk: Buffer) => {
      const text = chunk.toString().replace(ANSI, "");
      output += text;
      log.write(text);
      lastOutputAt = Date.now();
      const lines = text.split("\n").filter((line) => line.trim() !== "");
      lastLine = lines.at(-1)?.trim() ?? lastLine;
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const stallMs = (options.stallSeconds ?? 0) * 1000;
    let reportedAt = 0;
    const timer =
      stallMs > 0 && options.onStall !== undefined
        ? setInterval(
            () => {
              const silent = Date.now() - Math.max(lastOutputAt, reportedAt);
              if (silent >= stallMs) {
                reportedAt = Date.now();
                options.onStall?.(Math.round((Date.now() - lastOutputAt) / 1000), lastLine);
              }
            },
            Math.min(stallMs, 1000),
          )
        : undefined;
    child.on("error", (error) => {
      untrack();
      clearInterval(timer);
      log.end();
      reject(error);
    });
    child.on("close", (code) => {
      untrack();
      clearInterval(timer);
      log.end(() => {
        resolve({ code: code ?? 1, output, lastLine });
      });
    });
  });
}
