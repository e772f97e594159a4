// Rescans the config folder cheaply and tells whether anything changed. File-system watchers miss events (Node's
// recursive fs.watch loses a file's inode after a rename-over, so later in-place writes go unseen), so the runner
// also rescans on a period; this makes a rescan that finds nothing new cost a readdir and a stat per file.
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { bucketKey } from "../api/bucket.js";
import { MAX_CONFIG_FILE_BYTES, parseConfigFile, readConfigFile, type FileContents } from "./config-file.js";
import { listYamlFiles, mergeFiles, type FolderContents } from "./config-folder.js";

// A file modified this close to the moment it was read may have changed again within the same timestamp tick
// (same size, same mtime): such a "racily clean" file is re-read on the next scan rather than trusted.
const RACY_MS = 1000;

interface Tracked {
  /** inode, size, mtime and ctime (ns): unchanged means the content need not be read again. */
  stamp: string;
  mtimeMs: number;
  readAtMs: number;
  /** sha256 of the bytes (or of the problem when the file could not be read). */
  hash: string;
  /** What the file contributes: its content, or, while it is broken, its last good Buckets and Secrets. */
  contents: FileContents;
}

export interface ScanResult {
  /** Whether any file was added, removed or changed content since the last scan. */
  changed: boolean;
  contents: FolderContents;
}

/** Tracks the files of a config folder between scans. */
export class FolderScanner {
  private readonly files = new Map<string, Tracked>();
  private merged?: FolderContents;
  /** Files read (not just stat-ed) so far; a no-change scan adds none once files have settled. */
  reads = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes = MAX_CONFIG_FILE_BYTES,
  ) {}

  /**
   * Lists the folder and re-reads the files whose inode, size or times changed (every file with `force`, for a
   * change the watcher reported or a reload asked for); a file whose bytes hash the same counts as unchanged.
   * A file that now fails to load keeps its last good Buckets and Secrets and reports its problems.
   * Fails only when the folder cannot be listed.
   */
  async scan(options: { force?: boolean } = {}): Promise<ScanResult> {
    const listed = await listYamlFiles(this.dir);
    let changed = false;
    const present = new Set(listed);
    for (const file of this.files.keys()) {
      if (!present.has(file)) changed = this.files.delete(file) || changed;
    }
    for (const file of listed) changed = (await this.scanFile(file, options.force === true)) || changed;
    if (changed || !this.merged) {
      this.merged = mergeFiles(
        [...this.files.keys()].sort().flatMap((f) => this.files.get(f)?.contents ?? []),
      );
    }
    return { changed, contents: this.merged };
  }

  private async scanFile(file: string, force: boolean): Promise<boolean> {
    const previous = this.files.get(file);
    let info;
    try {
      info = await stat(file, { bigint: true });
    } catch {
      return previous ? this.files.delete(file) : false; // gone since the listing
    }
    const stamp = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    const mtimeMs = Number(info.mtimeMs);
    if (!force && previous?.stamp === stamp && previous.mtimeMs < previous.readAtMs - RACY_MS) return false;
    const readAtMs = Date.now();
    this.reads += 1;
    const read = await readConfigFile(file, this.maxBytes);
    if (read === undefined) return previous ? this.files.delete(file) : false;
    const hash = Buffer.isBuffer(read)
      ? createHash("sha256").update(read).digest("hex")
      : `problem:${read.code ?? ""}:${read.message}`;
    if (previous?.hash === hash) {
      Object.assign(previous, { stamp, mtimeMs, readAtMs });
      return false;
    }
    const fresh: FileContents = Buffer.isBuffer(read)
      ? parseConfigFile(file, read.toString("utf8"))
      : { file, buckets: [], secrets: [], problems: [read] };
    const contents = previous && fresh.problems.length > 0 ? keepLastGood(fresh, previous.contents) : fresh;
    this.files.set(file, { stamp, mtimeMs, readAtMs, hash, contents });
    return true;
  }
}

/** A broken file's Buckets and Secrets that no longer load are kept as last loaded, until the file is fixed. */
function keepLastGood(fresh: FileContents, last: FileContents): FileContents {
  const bucketKeys = new Set(fresh.buckets.map((b) => bucketKey(b.object.metadata)));
  const secretKeys = new Set(fresh.secrets.map((s) => s.key));
  return {
    file: fresh.file,
    buckets: [...fresh.buckets, ...last.buckets.filter((b) => !bucketKeys.has(bucketKey(b.object.metadata)))],
    secrets: [...fresh.secrets, ...last.secrets.filter((s) => !secretKeys.has(s.key))],
    problems: fresh.problems,
  };
}
