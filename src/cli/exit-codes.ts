// Exit codes scripts can rely on (documented in the README).
export const ExitCode = {
  Ok: 0,
  /** The operation ran and failed: reconcile not Ready, fetch failed. */
  Failed: 1,
  /** Bad flags, arguments or input files. */
  Usage: 2,
  /** The bucketops server could not be reached. */
  Unreachable: 3,
} as const;

/** An error the CLI prints as one line (no stack) and exits with `code`. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}
