// sha256 (for the index) and MD5 (to compare with what listings give) of local files, streamed in one read.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import pLimit from "p-limit";
import type { FolderFile } from "./folder-walk.js";

export interface DigestedFile extends FolderFile {
  /** Lowercase hex. */
  sha256: string;
  /** Lowercase hex. */
  md5: string;
}

/**
 * Digests every file, `concurrency` at a time, in one streamed read each (never buffered whole), keeping the
 * input order. The size is the number of bytes hashed, so a file that changed since the walk is described as read.
 * Rejects on the first read error.
 */
export async function digestFiles(
  files: readonly FolderFile[],
  options: { concurrency: number; signal?: AbortSignal },
): Promise<DigestedFile[]> {
  const limit = pLimit(options.concurrency);
  return Promise.all(files.map((file) => limit(() => digestOne(file, options.signal))));
}

async function digestOne(file: FolderFile, signal?: AbortSignal): Promise<DigestedFile> {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  let size = 0;
  for await (const chunk of createReadStream(file.source, { signal })) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    sha256.update(bytes);
    md5.update(bytes);
  }
  return { ...file, size, sha256: sha256.digest("hex"), md5: md5.digest("hex") };
}
