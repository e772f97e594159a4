// Reads a stored artifact (tar.gz) once: each file's name, size and sha256, and the text of small text files.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";

/** Text files up to this size keep their content for diffs; larger or binary ones only their hash. */
export const TEXT_LIMIT = 1024 * 1024;

export interface ArtifactFile {
  name: string;
  size: number;
  /** sha256 hex of the content. */
  sha256: string;
}

/**
 * Lists the regular files of the tar.gz at `file`, sorted by name, calling `keepText(sha256, text)` for each UTF-8
 * text file of at most TEXT_LIMIT bytes (no NUL byte). Larger entries are hashed as they stream, never held whole.
 * Rejects when the file is missing or not a tar.gz.
 */
export async function readArtifactFiles(
  file: string,
  keepText: (sha256: string, text: string) => Promise<void>,
): Promise<ArtifactFile[]> {
  const extract = tar.extract();
  const done = pipeline(createReadStream(file), createGunzip(), extract);
  done.catch(() => undefined); // surfaced by the await below, or by the loop when an entry fails
  const files: ArtifactFile[] = [];
  for await (const entry of extract) {
    if (entry.header.type !== "file") {
      entry.resume();
      continue;
    }
    const hash = createHash("sha256");
    const small: Buffer[] = [];
    let size = 0;
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      if (size <= TEXT_LIMIT) small.push(chunk);
    }
    const sha256 = hash.digest("hex");
    if (size <= TEXT_LIMIT) {
      const bytes = Buffer.concat(small);
      if (!bytes.includes(0)) await keepText(sha256, bytes.toString("utf8"));
    }
    files.push({ name: entry.header.name.replace(/^\.\//, ""), size, sha256 });
  }
  await done;
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
