// `bucketops history <bucket.yaml | url>`: the distinct states of a versioned prefix, newest first. This module only
// declares the flags; actions/history.ts does the work and is imported when the command runs.
import { InvalidArgumentError, type Command } from "commander";
import { parseDuration } from "../../api/duration.js";
import { parseInstant } from "../../source/history-ref.js";
import { positiveInt } from "../flags.js";
import { parseFormat, type OutputFormat } from "../output-format.js";
import { withTargetFlags, type BucketTargetFlags } from "../target-flags.js";

/** The parsed flags of `history`. */
export interface HistoryFlags extends BucketTargetFlags {
  since?: Date;
  limit?: number;
  output: OutputFormat;
}

/** Registers `history`. */
export function registerHistory(program: Command): void {
  withTargetFlags(
    program
      .command("history <source>")
      .description(
        "list the distinct states of a versioned bucket's prefix, newest first: when, objects added/changed/removed, the revision it had; <source> is a Bucket YAML file or a URL such as s3://bucket/prefix",
      ),
  )
    .option(
      "--since <time>",
      "only states from then on: an RFC 3339 time, or a duration ago (24h)",
      sinceFlag,
    )
    .option("--limit <n>", "only the newest n states", positiveInt)
    .option("-o, --output <format>", "table, json or yaml", parseFormat, "table" as OutputFormat)
    .action(async (source: string, flags: HistoryFlags) => {
      const { historyAction } = await import("../actions/history.js");
      await historyAction(source, flags);
    });
}

function sinceFlag(value: string): Date {
  const instant = parseInstant(value);
  if (instant) return instant;
  const ago = parseDuration(value);
  if (ago !== undefined) return new Date(Date.now() - ago);
  throw new InvalidArgumentError("must be an RFC 3339 time (2026-12-01T10:00:00Z) or a duration such as 24h");
}
