// `bucketops history <bucket.yaml | url>`: the distinct states of a versioned prefix, newest first.
import { InvalidArgumentError, type Command } from "commander";
import { parseDuration } from "../../api/duration.js";
import { historyJson, type ChangePointJson } from "../../engine/time-travel.js";
import { parseInstant } from "../../source/history.js";
import { withTargetBucket, withTargetFlags, type BucketTargetFlags } from "../bucket-target.js";
import { positiveInt } from "../flags.js";
import { parseFormat, serialize, table, type OutputFormat } from "../output.js";

interface HistoryFlags extends BucketTargetFlags {
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
      const history = await withTargetBucket(source, flags, (bucket, cacheDir) =>
        historyJson(bucket, cacheDir, {
          ...(flags.since ? { since: flags.since } : {}),
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        }),
      );
      process.stdout.write(
        flags.output === "table" ? historyTable(history.items) : serialize(history.items, flags.output),
      );
      // On stderr, so that stdout stays the table or the document.
      process.stderr.write(
        `${history.items.length} state${history.items.length === 1 ? "" : "s"} from ${history.versions} versions in ${(history.durationMs / 1000).toFixed(2)} s\n`,
      );
    });
}

/**
 * The change points as a table: the revision shortened to 12 hex digits (json/yaml give it whole); a NOTE column
 * only when some state was never publishable.
 */
export function historyTable(items: readonly ChangePointJson[]): string {
  const notes = items.some((p) => p.problem !== undefined);
  const rows = items.map((p) => [
    p.time,
    `+${p.added}`,
    `~${p.changed}`,
    `-${p.removed}`,
    String(p.objects),
    p.revision.slice(0, 19),
    ...(notes ? [p.problem ? `never publishable: ${p.problem}` : ""] : []),
  ]);
  const headers = ["TIME", "ADDED", "CHANGED", "REMOVED", "OBJECTS", "REVISION"];
  return table(notes ? [...headers, "NOTE"] : headers, rows);
}

function sinceFlag(value: string): Date {
  const instant = parseInstant(value);
  if (instant) return instant;
  const ago = parseDuration(value);
  if (ago !== undefined) return new Date(Date.now() - ago);
  throw new InvalidArgumentError("must be an RFC 3339 time (2026-12-01T10:00:00Z) or a duration such as 24h");
}
