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

/** The command line itself is wrong (a bad value, a missing argument): the message, the usage, exit 2. */
export class UsageError extends UserFacingError {}

/** Errors of the AWS SDK that mean "no credentials" rather than a refusal by a service. */
const CREDENTIAL_ERRORS = new Set(["CredentialsProviderError", "TokenProviderError"]);

/**
 * What a user reads for an error that is theirs to fix, without a stack trace: a UserFacingError's message;
 * AWS's own refusals (expired or missing credentials, access denied, a throttled call), which name the
 * service's reason. Undefined for anything else: a bug, whose stack trace is kept.
 */
export function userMessageOf(error: unknown): string | undefined {
  if (error instanceof UserFacingError) return error.message;
  if (!(error instanceof Error)) return undefined;
  if (CREDENTIAL_ERRORS.has(error.name)) {
    return `no AWS credentials: ${error.message}; sign in (aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or use the local AWS (CLOUDRIM_TARGET=local)`;
  }
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  if (metadata !== undefined) {
    return `AWS refused a call (${error.name}${metadata.httpStatusCode === undefined ? "" : `, HTTP ${metadata.httpStatusCode}`}): ${error.message}`;
  }
  return undefined;
}
