// A local directory as a bucket: the embedded default for demos and tests.
import { createReadStream } from "node:fs";
import { lstat, readdir, realpath } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { ProviderError, type BucketProvider, type GetOptions, type ObjectInfo } from "./types.js";

/**
 * Serves the files under `root` as objects keyed by their "/"-separated relative path.
 * Symlinks are skipped so a bucket never reads outside its directory. The etag is derived from
 * size and modification time (like a web server's), so unchanged files are never re-read.
 */
export function createFileProvider(root: string): BucketProvider {
  const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
  const absRoot = path.resolve(root);
  let realRoot: Promise<string> | undefined;

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
      else if (entry.isFile()) {
        const stats = await lstat(full);
        const key = path.relative(absRoot, full).split(path.sep).join("/");
        yield { key, etag: fileEtag(stats), size: stats.size, lastModified: stats.mtime };
      }
    }
  }

  /** The path of `key` under the root; Invalid for a key that would leave it. */
  function insideRoot(key: string): string {
    const full = path.resolve(absRoot, key);
    if (!full.startsWith(absRoot + path.sep))
      throw new ProviderError("Invalid", `key '${key}' leaves the bucket`);
    return full;
  }

  /** The root's real path, computed once it exists (a failure is not kept: the folder may appear later). */
  function resolveRoot(): Promise<string> {
    return realpath(absRoot).catch((error: unknown) => {
      realRoot = undefined;
      throw error;
    });
  }

  /** lstat sees a symlink only as the last part: a folder on the way must not be one either. */
  async function reachedDirectly(full: string): Promise<boolean> {
    const parent = path.dirname(full);
    return (
      (await realpath(parent)) ===
      path.join(await (realRoot ??= resolveRoot()), path.relative(absRoot, parent))
    );
  }

  return {
    requests,
    async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
      requests.list++;
      for await (const info of walk(absRoot, signal)) {
        if (info.key.startsWith(prefix)) yield info;
      }
    },
    async get(key: string, options: GetOptions = {}): Promise<Readable> {
      requests.get++;
      const full = insideRoot(key);
      let size: number;
      try {
        if (!(await reachedDirectly(full)))
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
      const full = insideRoot(key);
      // Only what the listing would show: a regular file, reached without a symlink, under its canonical key.
      if (path.relative(absRoot, full).split(path.sep).join("/") !== key) return undefined;
      try {
        if (!(await reachedDirectly(full))) return undefined;
        const stats = await lstat(full);
        return stats.isFile()
          ? { key, etag: fileEtag(stats), size: stats.size, lastModified: stats.mtime }
          : undefined;
      } catch (error) {
        if (!isCode(error, "ENOENT") && !isCode(error, "ENOTDIR"))
          throw new ProviderError("Transient", `cannot stat '${full}': ${String(error)}`, { cause: error });
      }
      try {
        await lstat(absRoot);
      } catch (error) {
        throw new ProviderError("BucketNotFound", `directory '${absRoot}' does not exist`, { cause: error });
      }
      return undefined;
    },
    close(): void {},
  };
}

function fileEtag(stats: { size: number; mtimeMs: number; ino: number }): string {
  return `${stats.size.toString(16)}-${Math.round(stats.mtimeMs * 1000).toString(16)}-${stats.ino.toString(16)}`;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
