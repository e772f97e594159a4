// Shared flag parsers: each says what is allowed when a value is wrong.
import { InvalidArgumentError, Option, type Command } from "commander";
import { parseDuration } from "../api/duration.js";
import { DEFAULT_LIMITS, type Limits } from "../api/limits.js";
import { formatBytes, parseByteQuantity } from "../api/quantity.js";

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

/** A Go duration flag value above zero, in milliseconds. */
export function positiveDurationFlag(value: string): number {
  const ms = durationFlag(value);
  if (ms < 1) throw new InvalidArgumentError("must be a duration above zero, such as 60s, 5m or 1h30m");
  return ms;
}

/** A byte-size flag value: a whole number or a Kubernetes quantity such as 512Mi or 10Gi. */
export function byteSizeFlag(value: string): number {
  const bytes = parseByteQuantity(value);
  if (bytes === undefined || bytes < 1)
    throw new InvalidArgumentError("must be a byte size such as 1048576, 512Mi, 10Gi or 1G");
  return bytes;
}

/** The parsed limit flags (see withLimitFlags). */
export interface LimitFlags {
  maxObjectSize: number;
  maxTotalSize: number;
  maxObjects: number;
}

/**
 * Adds --max-object-size, --max-total-size and --max-objects: the runtime's limits, each the default and the ceiling
 * of a Bucket's spec.limits (a Bucket may only tighten them). Defaults: DEFAULT_LIMITS.
 */
export function withLimitFlags(command: Command): Command {
  const size = (flags: string, description: string, bytes: number): Option =>
    new Option(flags, description).argParser(byteSizeFlag).default(bytes, formatBytes(bytes));
  return command
    .addOption(
      size("--max-object-size <size>", "largest object a Bucket may publish", DEFAULT_LIMITS.maxObjectSize),
    )
    .addOption(
      size("--max-total-size <size>", "most bytes a Bucket may publish", DEFAULT_LIMITS.maxTotalSize),
    )
    .option("--max-objects <n>", "most objects a Bucket may publish", positiveInt, DEFAULT_LIMITS.maxObjects);
}

/** The engine's runtime limits from the parsed limit flags. */
export function limitsFromFlags(flags: LimitFlags): Limits {
  return {
    maxObjectSize: flags.maxObjectSize,
    maxTotalSize: flags.maxTotalSize,
    maxObjects: flags.maxObjects,
  };
}

/** The flags that tune reconciles and storage, shared by `run` and `controller`. */
export interface ReconcileFlags extends LimitFlags {
  concurrent: number;
  concurrency: number;
  artifactRetentionRecords: number;
  artifactRetentionTtl: number;
}

/** Adds --concurrent, --concurrency, the artifact retention flags (Flux's names and defaults) and the limit flags. */
export function withReconcileFlags(command: Command): Command {
  return withLimitFlags(command)
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
