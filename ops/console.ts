/** Progress lines with the time since start, so long steps show they are alive. */
export function progressPrinter(prefix: string): (line: string) => void {
  const started = Date.now();
  return (line: string) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[${seconds}s] ${prefix}: ${line}\n`);
  };
}

/** Known failures print their message and exit 1; anything else is a bug and keeps its stack trace. */
export class UserFacingError extends Error {}

export function runMain(main: () => Promise<number>, prefix: string): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        error instanceof UserFacingError
          ? `${prefix}: ${error.message}\n`
          : `${prefix}: unexpected error: ${String(error)}\n`,
      );
      if (!(error instanceof UserFacingError) && error instanceof Error) process.stderr.write(`${error.stack ?? ""}\n`);
      process.exitCode = 1;
    },
  );
}
