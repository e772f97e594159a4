// Deterministic tar.gz: the same files always give the same bytes, so the same sha256 digest.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, constants as zlibConstants } from "node:zlib";
import tar from "tar-stream";

/** One file of the artifact: its path inside the archive and where its bytes are on disk. */
export interface ArchiveEntry {
  name: string;
  file: string;
  size: number;
}

export interface ArchiveResult {
  /** `sha256:<hex>` of the tar.gz bytes, what Flux's consumers verify. */
  digest: string;
  size: number;
}

const EPOCH = new Date(0);
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

/**
 * Writes `entries` as a gzip'd tar to `outPath`: entries sorted by name (UTF-8 bytes), parent directories
 * added before their first file, mtime 0, uid/gid 0, fixed modes, no owner names, no symlinks.
 * Names must already be safe relative paths (see source/safe-key). Fails if a file's size changed.
 */
export async function writeTarGz(
  entries: readonly ArchiveEntry[],
  outPath: string,
  options: { level?: number } = {},
): Promise<ArchiveResult> {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const pack = tar.pack();
  const hash = createHash("sha256");
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const gzip = createGzip({ level: options.level ?? zlibConstants.Z_DEFAULT_COMPRESSION });
  const written = pipeline(pack, gzip, tap, createWriteStream(outPath));

  try {
    const dirs = new Set<string>();
    for (const entry of sorted) {
      for (const dir of parentDirs(entry.name)) {
        if (dirs.has(dir)) continue;
        dirs.add(dir);
        pack.entry({ ...header(`${dir}/`), type: "directory", mode: DIR_MODE });
      }
      await addFile(pack, entry);
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  }
  await written;
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

function header(name: string): Partial<tar.Header> & { name: string } {
  return { name, mtime: EPOCH, uid: 0, gid: 0, uname: "", gname: "" };
}

function parentDirs(name: string): string[] {
  const parts = name.split("/").slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

function addFile(pack: tar.Pack, entry: ArchiveEntry): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(
      { ...header(entry.name), type: "file", mode: FILE_MODE, size: entry.size },
      (error) => {
        if (error) reject(error);
        else resolve();
      },
    );
    pipeline(createReadStream(entry.file), sink).catch(reject);
  });
}
