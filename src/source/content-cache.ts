// A per-Bucket content cache: one entry per (key, etag), so an unchanged object is never downloaded twice.
// Small objects are appended to pack files (see cache-pack), big ones get a file each; an index file says where.
import { hash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BodyCheck } from "./body-check.js";
import { PackWriter } from "./cache-pack.js";
import { CacheTable } from "./cache-table.js";

/** Where one cached object's bytes are: `size` bytes at `offset` of `file`. */
export interface CachedLocation {
  file: string;
  offset: number;
  size: number;
}

export interface ContentCacheOptions {
  /** Objects up to this size (as listed) go into packs; bigger ones get a file of their own. */
  packLimit?: number;
}

/** The index of format 1 (JSON), still read so an existing cache is kept; written as format 2 (cache-table). */
interface IndexFile {
  format: typeof INDEX_FORMAT;
  /** entry name → [pack ("" = own file), offset, size] */
  entries: Record<string, [string, number, number]>;
}

const INDEX_FORMAT = "bucketops-cache-1";
const META_PREFIX = ".meta-";
const INDEX_NAME = `${META_PREFIX}cache-index.json`;
const TABLE_NAME = `${META_PREFIX}cache-index-2.bin`;
const DEFAULT_PACK_LIMIT = 1024 * 1024;
/** Packs with less than this share of live bytes are compacted. */
const MIN_LIVE_SHARE = 0.5;
/** More packs than this and the small ones are merged, so one-object reconciles do not pile up files. */
const MAX_PACKS = 16;
const SMALL_PACK = 4 * 1024 * 1024;

/**
 * Entry names are sha256(key NUL etag), never the key itself, so hostile keys cannot pick a path. An entry is in
 * the index only after its bytes are complete, and the index is saved (atomically, after the packs are synced)
 * by `flush`: a crash loses at most the entries of the reconcile it interrupted, never leaves a wrong one.
 */
export class ContentCache {
  readonly dir: string;
  private readonly packLimit: number;
  private entries: CacheTable | undefined;
  private loading: Promise<CacheTable> | undefined;
  private writer: PackWriter | undefined;
  private opening: Promise<PackWriter> | undefined;
  private dirty = false;

  constructor(dir: string, options: ContentCacheOptions = {}) {
    this.dir = dir;
    this.packLimit = options.packLimit ?? DEFAULT_PACK_LIMIT;
  }

  /** A file of the cache's own (not an object's content), e.g. the last artifact's segment index; prune keeps it. */
  metaPath(name: string): string {
    return path.join(this.dir, `${META_PREFIX}${name}`);
  }

  /** Reads the index (once per instance); the other methods call it, `locate` needs it done. */
  async open(): Promise<void> {
    await this.load();
  }

  /** Whether this version of the object is cached. */
  async has(key: string, etag: string): Promise<boolean> {
    return (await this.load()).has(entryName(key, etag));
  }

  /**
   * Streams a body into the cache; returns the bytes written. With the listed `size`, the body must have exactly
   * that size (a small object is written into a pack, a big one into a file of its own). Fails, and records
   * nothing, if the stream fails or has another size. `check` sees every chunk as it is written, and its `end`
   * is called before anything is recorded: its errors fail the put.
   */
  async put(key: string, etag: string, body: Readable, size?: number, check?: BodyCheck): Promise<number> {
    const entries = await this.load();
    const name = entryName(key, etag);
    if (size !== undefined && size <= this.packLimit) {
      const writer = await this.packWriter();
      const offset = await writer.append(body, size, check);
      entries.set(name, { pack: writer.id, offset, size });
      this.dirty = true;
      return size;
    }
    const tmp = path.join(this.dir, `.tmp-${randomBytes(8).toString("hex")}`);
    const out = createWriteStream(tmp);
    try {
      if (check) await pipeline(body, checked(check), out);
      else await pipeline(body, out);
      // A body cut short can end cleanly (no Content-Length): what arrived must not be taken for the object.
      if (size !== undefined && out.bytesWritten !== size) {
        throw new Error(`object body has ${out.bytesWritten} bytes, the listing said ${size}`);
      }
      await rename(tmp, path.join(this.dir, name));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    entries.set(name, { pack: undefined, offset: 0, size: out.bytesWritten });
    this.dirty = true;
    return out.bytesWritten;
  }

  /**
   * Forgets one cached object (an entry found damaged, e.g. shorter than its index): the next fetch downloads it
   * again. Its own file is removed; bytes in a pack are reclaimed by compaction. Saved by the next `flush`.
   */
  async evict(key: string, etag: string): Promise<void> {
    const entries = await this.load();
    const name = entryName(key, etag);
    const entry = entries.get(name);
    if (!entry) return;
    entries.delete(name);
    this.dirty = true;
    if (!entry.pack) await rm(path.join(this.dir, name), { force: true });
  }

  /**
   * Evicts every cached object of `objects` whose bytes are no longer all on disk (its file gone, or shorter than
   * offset + size): after one damaged entry is found, the others go too, so one reconcile heals them all. One `stat`
   * per file (packs hold many objects). Returns how many were evicted; saved by the next `flush`.
   */
  async evictTruncated(objects: Iterable<{ key: string; etag: string }>): Promise<number> {
    await this.load();
    const sizes = new Map<string, number>(); // file → its size on disk, -1 when gone
    let evicted = 0;
    for (const { key, etag } of objects) {
      if (!(await this.has(key, etag))) continue;
      const { file, offset, size } = this.locate(key, etag);
      let onDisk = sizes.get(file);
      if (onDisk === undefined) {
        onDisk = await stat(file).then(
          (s) => s.size,
          () => -1,
        );
        sizes.set(file, onDisk);
      }
      if (onDisk >= offset + size) continue;
      await this.evict(key, etag);
      evicted++;
    }
    return evicted;
  }

  /** Where a cached object's bytes are. Throws if `open` was not awaited or the object is not cached. */
  locate(key: string, etag: string): CachedLocation {
    const entry = this.entries?.get(entryName(key, etag));
    if (!entry) throw new Error(`object ${JSON.stringify(key)} (etag ${etag}) is not in the content cache`);
    const name = entry.pack ?? entryName(key, etag);
    return { file: path.join(this.dir, name), offset: entry.offset, size: entry.size };
  }

  /** A cached object's whole content, for small files the engine itself reads (.sourceignore). */
  async read(key: string, etag: string): Promise<Buffer> {
    await this.load();
    const { file, offset, size } = this.locate(key, etag);
    const fh = await open(file, "r");
    try {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, offset);
      if (bytesRead !== size) throw new Error(`content cache file ${file} is shorter than its index`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  /** Syncs the pack being written and saves the index, so what was fetched survives a restart. */
  async flush(): Promise<void> {
    await this.closeWriter();
    if (!this.dirty || !this.entries) return;
    const tmp = path.join(this.dir, `.tmp-${randomBytes(8).toString("hex")}`);
    await this.entries.write(tmp);
    await rename(tmp, path.join(this.dir, TABLE_NAME));
    await rm(path.join(this.dir, INDEX_NAME), { force: true }); // format 1, superseded
    this.dirty = false;
  }

  /**
   * Removes every entry not in `keep` (pairs of key and etag), packs nobody uses, files the index does not know
   * (temp files, crash leftovers), and compacts mostly-dead or small packs. Returns how many entries and files.
   */
  async prune(keep: Iterable<{ key: string; etag: string }>): Promise<number> {
    const entries = await this.load();
    // Kept rows are marked in a byte array (not a set of a million names).
    const wanted = new Uint8Array(entries.rowLimit);
    for (const e of keep) {
      const row = entries.findRow(entryName(e.key, e.etag));
      if (row >= 0) wanted[row] = 1;
    }
    let removed = 0;
    for (const row of entries.rows()) {
      if (wanted[row]) continue;
      const pack = entries.packAt(row);
      const name = entries.nameAt(row);
      entries.deleteRow(row);
      if (!pack) await rm(path.join(this.dir, name), { force: true });
      this.dirty = true;
      removed++;
    }
    await this.compact(entries);
    await this.flush();
    const known = new Set<string>();
    for (const row of entries.rows()) known.add(entries.packAt(row) ?? entries.nameAt(row));
    for (const name of await readdir(this.dir)) {
      if (known.has(name) || name.startsWith(META_PREFIX)) continue;
      await rm(path.join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Moves the live entries of wasteful packs into the current pack; the old packs go in prune's sweep. */
  private async compact(entries: CacheTable): Promise<void> {
    const live = new Map<string, number>();
    for (const row of entries.rows()) {
      const { pack, size } = entries.entryAt(row);
      if (pack) live.set(pack, (live.get(pack) ?? 0) + size);
    }
    const sizes = new Map<string, number>();
    for (const pack of live.keys()) sizes.set(pack, (await stat(path.join(this.dir, pack))).size);
    const current = this.writer?.id;
    const tooMany = live.size > MAX_PACKS;
    const victims = [...live].filter(([pack, bytes]) => {
      const size = sizes.get(pack) ?? 0;
      return pack !== current && (bytes < size * MIN_LIVE_SHARE || (tooMany && size < SMALL_PACK));
    });
    if (victims.length === 0) return;
    const buf = Buffer.allocUnsafe(256 * 1024);
    const writer = await this.packWriter();
    for (const [pack] of victims) {
      const source = await open(path.join(this.dir, pack), "r");
      try {
        for (const row of entries.rows()) {
          const e = entries.entryAt(row);
          if (e.pack !== pack) continue;
          entries.move(row, writer.id, await writer.copyFrom(source, e.offset, e.size, buf));
        }
      } finally {
        await source.close();
      }
    }
    this.dirty = true;
  }

  private async packWriter(): Promise<PackWriter> {
    if (this.writer) return this.writer;
    // Parallel puts share one pack: the first opens it, the others wait for that.
    this.opening ??= PackWriter.create(this.dir).then((w) => (this.writer = w));
    return this.opening;
  }

  private async closeWriter(): Promise<void> {
    const writer = this.writer ?? (this.opening ? await this.opening : undefined);
    this.writer = undefined;
    this.opening = undefined;
    if (writer) await writer.close();
  }

  private load(): Promise<CacheTable> {
    // One read per instance, shared by the parallel callers of the first reconcile step.
    this.loading ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      this.entries =
        (await CacheTable.read(path.join(this.dir, TABLE_NAME))) ??
        (await readIndex(path.join(this.dir, INDEX_NAME))) ??
        (await legacyEntries(this.dir));
      return this.entries;
    })();
    return this.loading;
  }
}

async function readIndex(file: string): Promise<CacheTable | undefined> {
  let doc: IndexFile;
  try {
    doc = JSON.parse(await readFile(file, "utf8")) as IndexFile;
  } catch {
    return undefined; // none yet or unreadable: rebuilt from what is on disk
  }
  if (doc.format !== INDEX_FORMAT) return undefined;
  const entries = new CacheTable();
  for (const [name, [pack, offset, size]] of Object.entries(doc.entries)) {
    entries.set(name, { pack: pack === "" ? undefined : pack, offset, size });
  }
  return entries;
}

/** A cache without an index (written by an older version): one file per entry, named by its hash. */
async function legacyEntries(dir: string): Promise<CacheTable> {
  const entries = new CacheTable();
  for (const name of await readdir(dir)) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    entries.set(name, { pack: undefined, offset: 0, size: (await stat(path.join(dir, name))).size });
  }
  return entries;
}

/** A pipeline stage handing every chunk to `check` (per big object: its cost per call does not matter). */
function checked(check: BodyCheck): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* (source) {
    for await (const chunk of source) {
      check.update(chunk);
      yield chunk;
    }
    check.end();
  };
}

/** One-shot hash (no Hash object): its native context would otherwise wait for a GC, a million times over. */
function entryName(key: string, etag: string): string {
  return hash("sha256", `${key}\0${etag}`, "hex");
}
