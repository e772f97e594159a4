// `bucketops fetch`: one-shot fetch of a Bucket (YAML file or URL) into a directory or a tar.gz. This module only
// declares the flags; actions/fetch.ts does the work and is imported when the command runs (fast --help).
import type { Command } from "commander";
import { positiveDurationFlag, positiveInt, withLimitFlags, type LimitFlags } from "../flags.js";
import type { LogFormatFlags } from "../log-format.js";
import { CREDENTIALS_FILE_FLAG, type TargetFlags } from "../target-flags.js";

/** The parsed flags of `fetch`. */
export interface FetchFlags extends LimitFlags, TargetFlags, LogFormatFlags {
  output: string;
  cacheDir?: string;
  concurrency: number;
  /** Milliseconds; replaces the Bucket's spec.timeout. */
  timeout?: number;
  force?: boolean;
  json?: boolean;
  logLevel: string;
}

/** Registers `fetch`. */
export function registerFetch(program: Command): void {
  withLimitFlags(program.command("fetch <source>"))
    .description(
      "fetch a Bucket once: <source> is a Bucket YAML file (Secrets may sit in it) or a URL such as s3://bucket/prefix",
    )
    .requiredOption(
      "-o, --output <path>",
      "a directory to extract into, or a file ending in .tar.gz to write the artifact to",
    )
    .option("--name <name>", "which Bucket of the YAML file, when it holds several")
    .option("--endpoint <host:port>", "S3-compatible endpoint for a URL source")
    .option("--region <region>", "region for a URL source")
    .option("--insecure", "plain HTTP to the endpoint")
    .option(...CREDENTIALS_FILE_FLAG)
    .option("--ignore <patterns>", "extra ignore rules (gitignore syntax, newline-separated)")
    .option(
      "--cache-dir <dir>",
      "content cache, so repeated fetches download only changes (default: ~/.cache/bucketops)",
    )
    .option("--concurrency <n>", "parallel downloads", positiveInt, 32)
    .option(
      "--timeout <duration>",
      "time allowed for the whole fetch, e.g. 5m (default: the Bucket's spec.timeout, else 60s)",
      positiveDurationFlag,
    )
    .option("--force", "replace a non-empty output directory")
    .option("--json", "print the result as JSON")
    .option("--log-level <level>", "debug, info, warn or error", "warn")
    .action(async (source: string, _flags: FetchFlags, command: Command) => {
      const { fetchAction } = await import("../actions/fetch.js");
      await fetchAction(source, command.optsWithGlobals<FetchFlags>());
    });
}
