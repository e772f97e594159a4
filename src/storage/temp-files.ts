// Temp files a crash (kill -9, OOM, power loss) leaves in the storage root, and the sweep that removes them.
import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";

/**
 * Names of temp files written under the storage root: `.tmp-*` (artifact store, its `.tmp-link-*`, content cache,
 * segment index) and `<name>.json.tmp-<hex>` (standalone state). No published name matches.
 */
const TEMP_RE = /^\.tmp-|\.json\.tmp-[0-9a-f]+$/;

/** Levels below the root a temp file can be at: bucket/<ns>/<name>/x, cache/<ns>/<name>/x, state/<ns>/x. */
const MAX_DEPTH = 4;

/** File times come from a coarse kernel clock (a tick behind); a write in flight spares files this much older too. */
const CLOCK_SLACK_MS = 1000;

/** Whether a file name is one of the storage root's temp files. */
export function isTempName(name: string): boolean {
  return TEMP_RE.test(name);
}

/** The temp files being written right now, with when each write started; a sweep spares them and younger ones. */
export class WritesInFlight {
  private readonly started = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Registers a temp file about to be written; call the returned function once it is renamed or removed. */
  begin(file: string): () => void {
    this.started.set(file, this.now());
    return () => {
      this.started.delete(file);
    };
  }

  /** A temp file is stale when no write in flight owns it and it is older than the oldest write in flight. */
  isStale(file: string, mtimeMs: number): boolean {
    if (this.started.has(file)) return false;
    let cutoff = this.now();
    for (const at of this.started.values()) cutoff = Math.min(cutoff, at - CLOCK_SLACK_MS);
    return mtimeMs < cutoff;
  }
}

/** Removes the stale temp files directly in `dir` (none if it does not exist); returns their paths. */
export async function sweepTempFiles(dir: string, writes: WritesInFlight): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isTempName(name)) continue;
    const file = path.join(dir, name);
    try {
      const info = await lstat(file); // .tmp-link-* are symlinks: their own age, not their target's
      if (info.isDirectory() || !writes.isStale(file, info.mtimeMs)) continue;
      await rm(file, { force: true });
      removed.push(file);
    } catch {
      // gone meanwhile (its writer renamed it): nothing to sweep
    }
  }
  return removed;
}

/**
 * Removes the stale temp files anywhere under `root` (artifacts, content cache, state). Only the store's own writes
 * are tracked, so call it before any reconcile runs (process start); returns the removed paths.
 */
export async function sweepTempTree(root: string, writes: WritesInFlight): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    removed.push(...(await sweepTempFiles(dir, writes)));
    if (depth >= MAX_DEPTH) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory()) await walk(path.join(dir, entry.name), depth + 1);
  };
  await walk(root, 1);
  return removed;
}
