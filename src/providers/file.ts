// A local directory as a bucket: the embedded default for demos and tests.
import { createReadStream } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { createFileWriter } from "./file-write.js";
import { fileEtag, fileRoot, isCode, TEMP_NAME } from "./file-paths.js";
import {
  ProviderError,
  type BucketProvider,
  type BucketWriter,
  type GetOptions,
  type ObjectInfo,
  type ObjectVersion,
  type VersioningState,
  notVersioned,
} from "./types.js";

/**
 * Serves the files under `root` as objects keyed by their "/"-separated relative path.
 * Symlinks are skipped so a bucket never reads outside its directory. The etag is derived from
 * size and modification time (like a web server's), so unchanged files are never re-read.
 * Writes (file-write.ts) are atomic renames of temp files, which the listing skips.
 */
export function createFileProvider(root: string): BucketProvider & BucketWriter {
  const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
  const bucket = fileRoot(root);
  const absRoot = bucket.path;

  async function* walk(dir: string, signal?: AbortSignal): AsyncGenerator<ObjectInfo> {
    signal?.throwIfAborted();
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === absRoot && isCode(error, "ENOENT")) {
        throw new ProviderError("BucketNotFound", `directory '${absRoot}' does not exist`, { cause: error });
      }
      throw new ProviderError("Transient", `cannot read directory '${dir}': ${String(error)}`, {
        cause: error,
      });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) yield* walk(full, signal);
      else if (entry.isFile() && !TEMP_NAME.test(entry.name)) {
        let stats;
        try {
          stats = await lstat(full);
        } catch (error) {
          if (isCode(error, "ENOENT")) continue; // deleted since readdir: no longer an object
          throw error;
        }
        yield { key: bucket.keyOf(full), etag: fileEtag(stats), size: stats.size, lastModified: stats.mtime };
      }
    }
  }

  return {
    requests,
    ...createFileWriter(bucket, requests),
    async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
      requests.list++;
      for await (const info of walk(absRoot, signal)) {
        if (info.key.startsWith(prefix)) yield info;
      }
    },
    async get(key: string, options: GetOptions = {}): Promise<Readable> {
      requests.get++;
      const full = bucket.resolve(key);
      let size: number;
      try {
        if (!(await bucket.reachedDirectly(full)))
          throw new ProviderError("NotFound", `object '${key}' is reached through a symlink`);
        const stats = await lstat(full);
        if (!stats.isFile()) throw new ProviderError("NotFound", `object '${key}' is not a regular file`);
        if (options.etag !== undefined && fileEtag(stats) !== options.etag) {
          throw new ProviderError("Transient", `object '${key}' changed while it was being fetched`);
        }
        size = stats.size;
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        throw new ProviderError("NotFound", `object '${key}' not found`, { cause: error });
      }
      // A read buffer the size of the file, not 64 KiB each: a million tiny files otherwise allocate 64 GB.
      const highWaterMark = Math.max(1, Math.min(size + 1, 64 * 1024));
      return createReadStream(full, { signal: options.signal, highWaterMark });
    },
    async stat(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
      requests.head++;
      signal?.throwIfAborted();
      const full = bucket.resolve(key);
      // Only what the listing would show: a regular file, reached without a symlink, under its canonical key.
      if (bucket.keyOf(full) !== key || TEMP_NAME.test(path.basename(full))) return undefined;
      try {
        if (!(await bucket.reachedDirectly(full))) return undefined;
        const stats = await lstat(full);
        return stats.isFile()
          ? { key, etag: fileEtag(stats), size: stats.size, lastModified: stats.mtime }
          : undefined;
      } catch (error) {
        if (!isCode(error, "ENOENT") && !isCode(error, "ENOTDIR"))
          throw new ProviderError("Transient", `cannot stat '${full}': ${String(error)}`, { cause: error });
      }
      await bucket.assertExists();
      return undefined;
    },
    versioning(signal?: AbortSignal): Promise<VersioningState> {
      signal?.throwIfAborted();
      return Promise.resolve("disabled");
    },
    listVersions(prefix: string): AsyncIterable<ObjectVersion> {
      // A folder keeps no history: fail on the first next(), as a listing of a versioned-off bucket does.
      return {
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.reject(notVersioned(`list versions ${absRoot}/${prefix}`, "a local folder")),
        }),
      };
    },
    close(): void {},
  };
}
