// sha256 of cached objects, remembered per (key, etag) in a file beside the cache table, so an unchanged object is
// hashed once, not at every reconcile.
import { createHash, hash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ContentCache } from "../../source/content-cache.js";

/** Digests by entry (sha256 of key NUL etag, as the cache names entries); saved with only the entries used. */
export class DigestMemo {
  private readonly known = new Map<string, string>();
  private readonly used = new Map<string, string>();
  private computed = 0;

  private constructor(private readonly file: string) {}

  /** Loads the memo (an unreadable one is empty: objects are hashed again). */
  static async load(file: string): Promise<DigestMemo> {
    const memo = new DigestMemo(file);
    try {
      const entries = JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
      for (const [name, digest] of Object.entries(entries)) memo.known.set(name, digest);
    } catch {
      // none yet
    }
    return memo;
  }

  /** The sha256 (hex) of a cached object: remembered, or read from the cache's bytes. */
  async sha256(cache: ContentCache, key: string, etag: string): Promise<string> {
    const name = hash("sha256", `${key}\0${etag}`, "hex");
    let digest = this.known.get(name);
    if (digest === undefined) {
      digest = await hashCached(cache, key, etag);
      this.computed++;
    }
    this.used.set(name, digest);
    return digest;
  }

  /** How many objects this memo hashed (not remembered). */
  get hashed(): number {
    return this.computed;
  }

  /** Saves the digests used since loading (when any was new or some were dropped). Best effort. */
  async save(): Promise<void> {
    if (this.computed === 0 && this.used.size === this.known.size) return;
    const tmp = path.join(path.dirname(this.file), `.tmp-${randomBytes(8).toString("hex")}`);
    try {
      await writeFile(tmp, JSON.stringify(Object.fromEntries(this.used)));
      await rename(tmp, this.file);
    } catch {
      // the next reconcile hashes again
    }
  }
}

async function hashCached(cache: ContentCache, key: string, etag: string): Promise<string> {
  await cache.open();
  const { file, offset, size } = cache.locate(key, etag);
  const digest = createHash("sha256");
  if (size > 0) {
    let read = 0;
    for await (const chunk of createReadStream(file, { start: offset, end: offset + size - 1 })) {
      digest.update(chunk as Buffer);
      read += (chunk as Buffer).length;
    }
    if (read !== size) throw new Error(`content cache file ${file} is shorter than its index`);
  }
  return digest.digest("hex");
}
