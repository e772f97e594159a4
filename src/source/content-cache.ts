// A per-Bucket content cache: one file per (key, etag), so an unchanged object is never downloaded twice.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Files are named by sha256(key NUL etag), never by the key itself, so hostile keys cannot pick a path.
 * Entries are written to a temp file and renamed: a crash never leaves a partial entry behind.
 */
export class ContentCache {
  readonly dir: string;
  private names: Set<string> | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The cache file for one version of one object. */
  pathFor(key: string, etag: string): string {
    return path.join(this.dir, entryName(key, etag));
  }

  /** A file of the cache's own (not an object's content), e.g. the last artifact's segment index; prune keeps it. */
  metaPath(name: string): string {
    return path.join(this.dir, `${META_PREFIX}${name}`);
  }

  /** Whether this version of the object is cached (one directory read per cache instance). */
  async has(key: string, etag: string): Promise<boolean> {
    const names = await this.load();
    return names.has(entryName(key, etag));
  }

  /** Streams a body into the cache; returns the bytes written. Fails (and leaves nothing) if the stream fails. */
  async put(key: string, etag: string, body: Readable): Promise<number> {
    await this.load();
    const name = entryName(key, etag);
    const tmp = path.join(this.dir, `.tmp-${randomBytes(8).toString("hex")}`);
    const out = createWriteStream(tmp);
    try {
      await pipeline(body, out);
      await rename(tmp, path.join(this.dir, name));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    this.names?.add(name);
    return out.bytesWritten;
  }

  /** Removes every entry not in `keep` (pairs of key and etag), and leftover temp files. Returns how many. */
  async prune(keep: Iterable<{ key: string; etag: string }>): Promise<number> {
    const wanted = new Set([...keep].map((e) => entryName(e.key, e.etag)));
    const names = await this.load();
    let removed = 0;
    for (const name of await readdir(this.dir)) {
      if (wanted.has(name) || name.startsWith(META_PREFIX)) continue;
      await rm(path.join(this.dir, name), { force: true });
      names.delete(name);
      removed++;
    }
    return removed;
  }

  private async load(): Promise<Set<string>> {
    if (this.names) return this.names;
    await mkdir(this.dir, { recursive: true });
    this.names = new Set(
      (await readdir(this.dir)).filter((n) => !n.startsWith(".tmp-") && !n.startsWith(META_PREFIX)),
    );
    return this.names;
  }
}

const META_PREFIX = ".meta-";

function entryName(key: string, etag: string): string {
  return createHash("sha256").update(key).update("\0").update(etag).digest("hex");
}
