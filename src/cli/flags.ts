// Shared flag parsers: each says what is allowed when a value is wrong.
import { InvalidArgumentError, Option, type Command } from "commander";
import { parseDuration } from "../api/duration.js";

/** A positive integer flag value. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number of 1 or more");
  return n;
}

/** A Go duration flag value, in milliseconds. */
export function durationFlag(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError("must be a duration such as 60s, 5m or 1h30m");
  return ms;
}

/** The flags that tune reconciles and storage, shared by `run` and `controller`. */
export interface ReconcileFlags {
  concurrent: number;
  concurrency: number;
  artifactRetentionRecords: number;
  artifactRetentionTtl: number;
}

/** Adds --concurrent, --concurrency and the artifact retention flags (Flux's names and defaults). */
export function withReconcileFlags(command: Command): Command {
  return command
    .option("--concurrent <n>", "Buckets reconciled at the same time", positiveInt, 4)
    .option("--concurrency <n>", "parallel downloads per Bucket", positiveInt, 32)
    .option(
      "--artifact-retention-records <n>",
      "artifacts kept per Bucket, the current one included",
      positiveInt,
      2,
    )
    .addOption(
      durationOption(
        "--artifact-retention-ttl <duration>",
        "age after which older artifacts are deleted",
        "60s",
      ),
    );
}

/** A duration option whose default is shown as written ("60s") and parsed like the user's value. */
export function durationOption(flags: string, description: string, defaultText: string): Option {
  return new Option(flags, description)
    .argParser(durationFlag)
    .default(durationFlag(defaultText), defaultText);
}
