/*
 * The question a deploy or a retire asks at a terminal before it changes AWS (review/confirmation.ts decides
 * whether it asks, and writes what it shows): once, y/N, on stderr, so stdout stays the command's report.
 */
import { createInterface } from "node:readline/promises";

export type Answer = "yes" | "no" | "interrupted";

/** Shows the changes and asks once; the answer, or "interrupted" (Ctrl-C at the question, or a signal). */
export type Ask = (summary: readonly string[]) => Promise<Answer>;

/**
 * Asks on the terminal. Only `y` or `yes` (any case) is yes; Enter, anything else and the end of input
 * (Ctrl-D) are no. Ctrl-C at the question (the terminal sends it to readline, not as a signal) and `signal`
 * (a SIGTERM, say) end it as an interruption.
 */
export async function askOnce(question: string, signal: AbortSignal): Promise<Answer> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  const asked = new AbortController();
  const interrupt = () => {
    asked.abort("interrupted");
  };
  terminal.on("SIGINT", interrupt);
  terminal.on("close", () => {
    asked.abort("end of input");
  });
  signal.addEventListener("abort", interrupt, { once: true });
  try {
    const answer = await terminal.question(question, { signal: asked.signal });
    return /^y(es)?$/i.test(answer.trim()) ? "yes" : "no";
  } catch (error) {
    if (!asked.signal.aborted) throw error;
    process.stderr.write("\n");
    return asked.signal.reason === "interrupted" ? "interrupted" : "no";
  } finally {
    signal.removeEventListener("abort", interrupt);
    terminal.close();
  }
}

/** The question of a command that changes AWS: the summary under a heading, then `<question> [y/N] `. */
export function terminalAsk(heading: string, question: string, signal: AbortSignal): Ask {
  return (summary) => {
    process.stderr.write(`\n${heading}\n${summary.join("\n")}\n\n`);
    return askOnce(`${question} [y/N] `, signal);
  };
}
