// The event-driven scan: apply the keys bucket events named to the last published scan, asking the bucket for each
// key's record (stat: a HEAD), instead of listing the whole prefix. Whenever that cannot give exactly what a listing
// would, it lists (scanBucket): the revision is always the full listing's.
import pLimit from "p-limit";
import type { BucketProvider, ObjectInfo } from "../providers/types.js";
import { applyUpdates, type KeyUpdate } from "./apply-changes.js";
import type { ContentCache } from "./content-cache.js";
import { buildIgnoreFilter } from "./ignore-rules.js";
import { findKeyConflicts } from "./key-set.js";
import type { ObjectChange } from "./object-change.js";
import { assertSafeKey } from "./safe-key.js";
import { SOURCE_IGNORE, scanBucket, type ScanOptions, type ScanResult } from "./scan.js";
import { readScanState, scanStatePath, type ScanSettings, type StoredScan } from "./scan-state.js";

/** More distinct keys than this in one reconcile and a listing is cheaper than a HEAD each. */
export const MAX_INCREMENTAL_CHANGES = 1000;
const STAT_CONCURRENCY = 16;

export interface SourceScanOptions extends ScanOptions {
  /** What names the bucket (provider, endpoint, bucket name): a stored scan of another source is not used. */
  source: string;
  /** The keys bucket events named since the last reconcile; undefined lists the prefix (the interval's scan). */
  changes?: readonly ObjectChange[] | undefined;
  /**
   * Keys a change to which needs a listing: the index object of a push (one event for it stands for the whole
   * push, whose other events may come later or never).
   */
  listingKeys?: readonly string[];
  /** Default MAX_INCREMENTAL_CHANGES. */
  maxChanges?: number;
}

export interface SourceScan extends ScanResult {
  /** "incremental": the stored scan with the changes applied, no LIST sent; "full": the prefix was listed. */
  mode: "incremental" | "full";
  /** Why the changes given were not applied (absent for an interval's listing and for an incremental scan). */
  fallback?: string;
}

/**
 * Scans the source: with `changes` and a usable stored scan, applies them (one stat per changed key that is under
 * the prefix and not ignored); otherwise, or when a change names a .sourceignore or listing key, there are more
 * than `maxChanges` keys, a stat fails, or a changed key is unsafe or makes a key
 * conflict, lists the prefix with scanBucket (which then reports the unsafe key or conflict as it always does).
 * Throws what scanBucket throws.
 */
export async function scanSource(
  provider: BucketProvider,
  cache: ContentCache,
  options: SourceScanOptions,
): Promise<SourceScan> {
  const full = async (fallback?: string): Promise<SourceScan> => {
    const scan = await scanBucket(provider, cache, options);
    return fallback === undefined ? { ...scan, mode: "full" } : { ...scan, mode: "full", fallback };
  };
  if (options.changes === undefined) return full();
  const stored = await readScanState(scanStatePath((name) => cache.metaPath(name)));
  const plan = planIncremental(stored, options);
  if (typeof plan === "string") return full(plan);
  const { scan, stat } = plan;

  let infos: Map<string, ObjectInfo | undefined>;
  try {
    infos = await statAll(provider, stat, options.signal);
  } catch (error) {
    options.signal?.throwIfAborted();
    return full(`a stat failed (${error instanceof Error ? error.message : String(error)})`);
  }
  const updates = new Map<string, KeyUpdate>(plan.dropped.map((key) => [key, undefined]));
  for (const [key, info] of infos) {
    if (info === undefined) {
      updates.set(key, undefined);
      continue;
    }
    try {
      assertSafeKey(key);
    } catch {
      return full(`changed key ${JSON.stringify(key)} is refused`);
    }
    const update: KeyUpdate = { etag: info.etag, size: info.size };
    if (info.md5 !== undefined) update.md5 = info.md5;
    updates.set(key, update);
  }
  const index = applyUpdates(scan.index, updates);
  if (findKeyConflicts({ entries: index, get: (key) => index.get(key) }).length > 0) {
    return full("the changed keys conflict with others");
  }
  return {
    index,
    listed: 0,
    ignored: plan.dropped.length,
    ignoreFiles: scan.ignoreFiles,
    ignoreLayers: scan.ignoreLayers,
    control: scan.control,
    isIgnored: plan.isIgnored,
    mode: "incremental",
  };
}

/** The settings a scan was built with, as stored beside it. */
export function scanSettings(options: Pick<SourceScanOptions, "source" | "prefix" | "ignore">): ScanSettings {
  return { source: options.source, prefix: options.prefix, ignore: options.ignore ?? "" };
}

interface Plan {
  scan: StoredScan;
  /** Keys to ask the bucket about. */
  stat: string[];
  /** Changed keys the ignore rules exclude: not published whatever the bucket holds. */
  dropped: string[];
  isIgnored: (key: string) => boolean;
}

/** What the changes need, or why they cannot be applied to the stored scan (a string: list instead). */
function planIncremental(stored: StoredScan | undefined, options: SourceScanOptions): Plan | string {
  if (!stored) return "no stored scan";
  const want = scanSettings(options);
  const had = stored.settings;
  if (had.source !== want.source || had.prefix !== want.prefix || had.ignore !== want.ignore) {
    return "the spec changed since the stored scan";
  }
  const keys = new Set((options.changes ?? []).map((c) => c.key));
  if (keys.size > (options.maxChanges ?? MAX_INCREMENTAL_CHANGES)) return `${keys.size} keys changed`;
  const listingKeys = new Set(options.listingKeys);
  const rules = buildIgnoreFilter(stored.ignoreLayers);
  const isIgnored = (key: string): boolean => stored.ignoreLayers.length > 0 && rules(key);
  const plan: Plan = { scan: stored, stat: [], dropped: [], isIgnored };
  for (const key of keys) {
    // Any .sourceignore, also one the scan does not read: cheap to be safe, and rare.
    if (key === SOURCE_IGNORE || key.endsWith(`/${SOURCE_IGNORE}`)) return `${SOURCE_IGNORE} changed`;
    if (listingKeys.has(key)) return `${JSON.stringify(key)} changed`;
    // The control folder (the push index and what may join it) is read by the gate from a listing.
    if (options.controlFolder !== undefined && key.startsWith(options.controlFolder))
      return `${JSON.stringify(key)} changed`;
    if (!key.startsWith(options.prefix) || key.endsWith("/")) continue; // not listed, or a folder marker
    if (isIgnored(key)) plan.dropped.push(key);
    else plan.stat.push(key);
  }
  return plan;
}

/**
 * Each key's record by stat, a few at a time; undefined for a key that no longer exists. Deletion events are
 * asked too: a delete that arrives after a later re-upload (events are not ordered) must not drop the object.
 */
async function statAll(
  provider: BucketProvider,
  keys: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Map<string, ObjectInfo | undefined>> {
  const out = new Map<string, ObjectInfo | undefined>();
  if (keys.length === 0) return out;
  const limit = pLimit(STAT_CONCURRENCY);
  await Promise.all(
    keys.map((key) =>
      limit(async () => {
        signal?.throwIfAborted();
        try {
          out.set(key, await provider.stat(key, signal));
        } catch (error) {
          limit.clearQueue(); // the scan lists instead: no more HEADs
          throw error;
        }
      }),
    ),
  );
  return out;
}
