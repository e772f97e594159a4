// Writes to a file:// bucket: a temp file in the key's folder, fsync'ed, then renamed (or linked) into place, so a
// reader sees the old file or the new one, never part of one.
import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, open, rename, rm, rmdir, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { sizedBody, type PutBody } from "./write-body.js";
import { fileEtag, isCode, type FileRoot } from "./file-paths.js";
import {
  ProviderError,
  type BucketWriter,
  type ObjectInfo,
  type PutOptions,
  type RequestCounts,
} from "./types.js";

/**
 * put and delete under one root. Keys are checked locally (the source stage's safe-key check is not imported:
 * providers come before source): a key must be one the listing could give, inside the root, reached without a
 * symlinked folder. Conditions: ifNoneExists links the temp file to the key's name, which fails if any file has
 * it (exact, atomic); ifMatch compares the current file's etag and then renames: a writer that replaces the file
 * between the two is not detected (a folder has no compare-and-swap). The root must exist (BucketNotFound).
 */
export function createFileWriter(root: FileRoot, requests: RequestCounts): BucketWriter {
  return {
    async put(key, body, size, options: PutOptions = {}): Promise<ObjectInfo> {
      requests.put++;
      const what = `put ${root.path}/${key}`;
      if (options.ifNoneExists === true && options.ifMatch !== undefined)
        throw new ProviderError("Invalid", `${what}: ifMatch and ifNoneExists exclude each other`);
      const full = root.resolveCanonical(key);
      if (Buffer.isBuffer(body)) sizedBody(body, size, what); // a wrong size fails before any file is made
      await root.assertExists();
      const { handle, temp } = await openTemp(root, full, what);
      try {
        await fill(handle, body, size, what, options.signal);
        const stats = await lstat(temp);
        if (options.ifNoneExists === true) await linkNew(temp, full, what);
        else {
          if (options.ifMatch !== undefined) await checkEtag(full, options.ifMatch, what);
          await rename(temp, full).catch((error: unknown) => {
            throw fsError(error, what);
          });
        }
        await syncFolder(path.dirname(full));
        return { key, etag: fileEtag(stats), size: stats.size, lastModified: stats.mtime };
      } finally {
        await handle.close().catch(() => undefined);
        await rm(temp, { force: true });
      }
    },
    async delete(key, signal): Promise<void> {
      requests.delete++;
      signal?.throwIfAborted();
      const what = `delete ${root.path}/${key}`;
      const full = root.resolveCanonical(key);
      try {
        // Only what the listing shows is deleted: a symlink or folder under the name is no object.
        if (!(await root.reachedDirectly(full)) || !(await lstat(full)).isFile()) return;
        await unlink(full);
      } catch (error) {
        if (!isCode(error, "ENOENT") && !isCode(error, "ENOTDIR")) throw fsError(error, what);
        await root.assertExists();
        return;
      }
      await pruneFolders(root.path, path.dirname(full));
    },
  };
}

/**
 * Creates the key's folders and an exclusive temp file beside the key. A delete may remove a folder that has just
 * become empty between the two: the folder is made again (three tries).
 */
async function openTemp(
  root: FileRoot,
  full: string,
  what: string,
): Promise<{ handle: FileHandle; temp: string }> {
  const dir = path.dirname(full);
  for (let attempt = 1; ; attempt++) {
    try {
      await mkdir(dir, { recursive: true });
      if (!(await root.reachedDirectly(full)))
        throw new ProviderError("Invalid", `${what}: a folder on the way is a symlink`);
      const temp = path.join(dir, `.bucketops-write-${randomBytes(8).toString("hex")}.tmp`);
      return { handle: await open(temp, "wx", 0o644), temp };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (isCode(error, "ENOENT") && attempt < 3) continue;
      if (isCode(error, "EEXIST") || isCode(error, "ENOTDIR"))
        throw new ProviderError("Invalid", `${what}: a file is in the way of the key's folder`, {
          cause: error,
        });
      throw fsError(error, what);
    }
  }
}

/** Writes the body (exactly `size` bytes) and fsyncs it. */
async function fill(
  handle: FileHandle,
  body: PutBody,
  size: number,
  what: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const sized = sizedBody(body, size, what);
  try {
    // writeFile writes all of it, from the current position (a loop over partial writes).
    if (Buffer.isBuffer(sized.body)) await handle.writeFile(sized.body);
    else
      for await (const chunk of sized.body as AsyncIterable<Buffer>) {
        signal?.throwIfAborted();
        await handle.writeFile(chunk);
      }
    signal?.throwIfAborted();
    await handle.sync();
  } catch (error) {
    throw sized.failure() ?? (error instanceof ProviderError ? error : fsError(error, what));
  } finally {
    sized.dispose();
  }
}

/** link(2) fails if the name exists: the exact "only if absent". */
async function linkNew(temp: string, full: string, what: string): Promise<void> {
  try {
    await link(temp, full);
  } catch (error) {
    if (!isCode(error, "EEXIST")) throw fsError(error, what);
    const existing = await lstat(full).catch(() => undefined);
    if (existing?.isDirectory()) throw new ProviderError("Invalid", `${what}: a folder has the key's name`);
    throw new ProviderError("Conflict", `${what}: the write condition does not hold (the object exists)`, {
      cause: error,
    });
  }
}

async function checkEtag(full: string, etag: string, what: string): Promise<void> {
  const current = await lstat(full).catch((error: unknown) => {
    if (isCode(error, "ENOENT")) return undefined;
    throw fsError(error, what);
  });
  if (!current?.isFile() || fileEtag(current) !== etag)
    throw new ProviderError(
      "Conflict",
      `${what}: the write condition does not hold (${current?.isFile() ? "another etag" : "no such object"})`,
    );
}

/** Makes a rename durable: the folder entry is written too. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes folders left empty by a delete, up to (not including) the root; stops at the first that is not. */
async function pruneFolders(rootPath: string, dir: string): Promise<void> {
  for (let at = dir; at !== rootPath && at.startsWith(rootPath + path.sep); at = path.dirname(at)) {
    try {
      await rmdir(at);
    } catch {
      return; // not empty (ENOTEMPTY/EEXIST), already gone, or not ours to remove
    }
  }
}

function fsError(error: unknown, what: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (isCode(error, "EACCES") || isCode(error, "EPERM"))
    return new ProviderError("Unauthorized", `${what}: permission denied: ${detail}`, { cause: error });
  if (isCode(error, "EISDIR"))
    return new ProviderError("Invalid", `${what}: a folder has the key's name`, { cause: error });
  if (isCode(error, "ENAMETOOLONG"))
    return new ProviderError("Invalid", `${what}: ${detail}`, { cause: error });
  if (error instanceof Error && error.name === "AbortError")
    return new ProviderError("Transient", `${what}: aborted`, { cause: error });
  return new ProviderError("Transient", `${what}: ${detail}`, { cause: error });
}
