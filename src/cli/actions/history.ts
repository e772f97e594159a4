// The work of `bucketops history`, loaded only when the command runs (see commands/history.ts for its flags).
import { historyJson, type ChangePointJson } from "../../engine/time-travel.js";
import { withTargetBucket } from "../bucket-target.js";
import type { HistoryFlags } from "../commands/history.js";
import { serialize, table } from "../output.js";

/** Prints the change points of <source>'s prefix. Throws CliError as withTargetBucket does. */
export async function historyAction(source: string, flags: HistoryFlags): Promise<void> {
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
