// History, diff and pin of a Bucket's versioned prefix, as the CLI and the API ask for them: the history module
// (source/history) over a Bucket opened like a reconcile opens it, with results as plain JSON.
import path from "node:path";
import type { BucketSpec } from "../api/normalize.js";
import type { BucketProvider } from "../providers/types.js";
import { ContentCache } from "../source/content-cache.js";
import {
  BucketHistory,
  HistoryRefError,
  LATEST,
  parseInstant,
  type ChangePoint,
  type FileDiff,
  type StateDiff,
  type StateSummary,
} from "../source/history.js";

/** One change point as JSON: times in RFC 3339, the full revision. */
export interface ChangePointJson {
  time: string;
  /** The first version's time of the change (equal to `time` for a single write). */
  start: string;
  revision: string;
  objects: number;
  added: number;
  changed: number;
  removed: number;
  /** Closed by a `bucketops push` index version. */
  push: boolean;
  /** Why this state was never publishable (an unsafe key, a key conflict). */
  problem?: string;
}

/** The change points of a prefix, newest first, and what computing them cost. */
export interface HistoryJson {
  prefix: string;
  /** Versions and delete markers listed. */
  versions: number;
  items: ChangePointJson[];
  /** Listing the versions and computing the change points, in ms. */
  durationMs: number;
}

export interface StateSummaryJson {
  /** The instant asked for (absent for "latest"). */
  at?: string;
  /** When the state began: its newest version or delete marker. */
  resolvedAt?: string;
  revision: string;
  objects: number;
}

export interface DiffJson {
  from: StateSummaryJson;
  to: StateSummaryJson;
  added: string[];
  removed: string[];
  changed: string[];
  stat: { added: number; removed: number; changed: number };
  /** Absent with stat: each file with its unified diff (text files). */
  files?: FileDiff[];
}

/** The history of the opened Bucket's prefix, its contents read through a content cache under `cacheDir`. */
export function loadHistory(
  bucket: { spec: BucketSpec; provider: BucketProvider },
  cacheDir: string,
  signal?: AbortSignal,
): Promise<BucketHistory> {
  return BucketHistory.load(bucket.provider, new ContentCache(cacheDir), {
    prefix: bucket.spec.prefix,
    ignore: bucket.spec.ignore,
    ...(signal ? { signal } : {}),
  });
}

/** The content cache folder of one Bucket under a cache root (the layout the engine uses). */
export function bucketCacheDir(root: string, ref: { namespace: string; name: string }): string {
  return path.join(root, ref.namespace, ref.name);
}

/**
 * The change points of the opened Bucket, newest first, at or after `since`, at most `limit`. Throws
 * ProviderError ("NotVersioned" for a bucket that keeps no versions).
 */
export async function historyJson(
  bucket: { spec: BucketSpec; provider: BucketProvider },
  cacheDir: string,
  options: { since?: Date; limit?: number; signal?: AbortSignal } = {},
): Promise<HistoryJson> {
  const started = performance.now();
  const history = await loadHistory(bucket, cacheDir, options.signal);
  const points = await history.changePoints({
    ...(options.since ? { since: options.since } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  return {
    prefix: bucket.spec.prefix,
    versions: history.table.count,
    items: points.map(changePointJson),
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * The diff of the states `from` and `to` name (a time, a revision or a unique prefix of one, or "latest"); with
 * `stat` counts and keys only. Throws HistoryRefError for a ref that names no state, ProviderError otherwise.
 */
export async function diffJson(
  bucket: { spec: BucketSpec; provider: BucketProvider },
  cacheDir: string,
  refs: { from: string; to: string; stat?: boolean; signal?: AbortSignal },
): Promise<DiffJson> {
  checkRef(refs.from, "from");
  checkRef(refs.to, "to");
  const history = await loadHistory(bucket, cacheDir, refs.signal);
  return toDiffJson(await history.diff(refs.from, refs.to, { stat: refs.stat === true }));
}

/**
 * The asOf a pin to `to` writes: an RFC 3339 time as given (normalized to UTC), or for a revision (or a unique
 * prefix of one) the time of the newest change point that had it, as `revisionTime` finds it in the history
 * (called only then, e.g. `(ref) => history.resolve(ref)`). "latest" is refused: unpin follows the latest.
 * Throws HistoryRefError.
 */
export async function resolvePin(to: string, revisionTime: (ref: string) => Promise<Date>): Promise<string> {
  if (to === "latest")
    throw new HistoryRefError('a pin needs a time or a revision; "latest" is what unpin returns to');
  const instant = parseInstant(to);
  if (instant) return instant.toISOString();
  checkRef(to, "to");
  return (await revisionTime(to)).toISOString();
}

/** Whether a string looks like a time or a revision at all (before anything is listed). */
function checkRef(ref: string, name: string): void {
  if (ref === "latest" || parseInstant(ref) || /^(sha256:[0-9a-f]{4,64}|[0-9a-f]{7,64})$/.test(ref)) return;
  throw new HistoryRefError(
    `${name} ${JSON.stringify(ref)} is neither an RFC 3339 time (2026-12-01T10:00:00Z), a revision (sha256:…) nor "latest"`,
  );
}

/** A change point as JSON. */
export function changePointJson(p: ChangePoint): ChangePointJson {
  const out: ChangePointJson = {
    time: p.time.toISOString(),
    start: p.start.toISOString(),
    revision: p.revision,
    objects: p.objects,
    added: p.added,
    changed: p.changed,
    removed: p.removed,
    push: p.push,
  };
  if (p.problem !== undefined) out.problem = p.problem;
  return out;
}

function summaryJson(s: StateSummary): StateSummaryJson {
  const out: StateSummaryJson = { revision: s.revision, objects: s.objects };
  // "latest" is an instant after every version: not a time to show.
  if (s.at.getTime() !== LATEST.getTime()) out.at = s.at.toISOString();
  if (s.resolvedAt) out.resolvedAt = s.resolvedAt.toISOString();
  return out;
}

function toDiffJson(d: StateDiff): DiffJson {
  const out: DiffJson = {
    from: summaryJson(d.from),
    to: summaryJson(d.to),
    added: d.added,
    removed: d.removed,
    changed: d.changed,
    stat: { added: d.added.length, removed: d.removed.length, changed: d.changed.length },
  };
  if (d.files) out.files = d.files;
  return out;
}
