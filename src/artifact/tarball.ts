// Deterministic tar.gz: the same files always give the same bytes, so the same sha256 digest.
import { createHash } from "node:crypto";
import { closeSync, createWriteStream, fstatSync, openSync, readSync } from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, constants as zlibConstants } from "node:zlib";

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

const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const BLOCK = 512;
/** Tar bytes handed to gzip at a time: big enough to amortise per-chunk costs, small enough to stay lean. */
const BATCH = 256 * 1024;

/**
 * Writes `entries` as a gzip'd tar to `outPath`: entries sorted by name (UTF-8 bytes), parent directories
 * added before their first file, mtime 0, uid/gid 0, fixed modes, no owner names, no symlinks.
 * Names must already be safe relative paths (see source/safe-key). Fails if a file's size changed.
 *
 * The tar stream is built here rather than through a per-entry stream library: headers are encoded into
 * `BATCH`-sized buffers together with file bytes read in place (bounded reads, never a whole large file), so a
 * tree of many small files costs a few syscalls per file. The bytes are exactly tar-stream's ustar encoding
 * (PAX `path` records for names that ustar cannot hold), so digests did not change when this replaced it.
 */
export async function writeTarGz(
  entries: readonly ArchiveEntry[],
  outPath: string,
  options: { level?: number } = {},
): Promise<ArchiveResult> {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
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
  await pipeline(tarStream(sorted), gzip, tap, createWriteStream(outPath));
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

/** The tar bytes of `sorted`, in batches. */
function* tarStream(sorted: readonly ArchiveEntry[]): Generator<Buffer> {
  const out = new BatchWriter();
  const dirs = new Set<string>();
  for (const entry of sorted) {
    for (const dir of parentDirs(entry.name)) {
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      out.headers(`${dir}/`, "directory", DIR_MODE, 0);
    }
    out.headers(entry.name, "file", FILE_MODE, entry.size);
    out.file(entry);
    // Hand over full batches: the event loop (and gzip, on the thread pool) runs while the next one fills.
    for (const batch of out.drain()) yield batch;
  }
  out.zeros(2 * BLOCK); // end of archive
  for (const batch of out.drain(true)) yield batch;
}

class BatchWriter {
  private buf = Buffer.allocUnsafe(BATCH);
  private off = 0;
  private readonly full: Buffer[] = [];

  /** The ustar header of one entry, preceded by a PAX header when the name does not fit ustar. */
  headers(name: string, type: "file" | "directory", mode: number, size: number): void {
    const ustar = encodeHeader(name, type, mode, size);
    if (ustar) {
      this.bytes(ustar);
      return;
    }
    const pax = Buffer.from(paxRecord(" path=" + name + "\n"));
    this.bytes(encodeHeader("PaxHeader", "pax-header", mode, pax.length) ?? Buffer.alloc(BLOCK));
    this.bytes(pax);
    this.pad(pax.length);
    this.bytes(encodeHeader("PaxHeader", type, mode, size) ?? Buffer.alloc(BLOCK));
  }

  /** Copies `entry.size` bytes of the file, then the block padding. Throws if the file is not that size. */
  file(entry: ArchiveEntry): void {
    const fd = openSync(entry.file, "r");
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile() || stats.size !== entry.size) throw sizeError(entry, stats.size);
      let position = 0;
      while (position < entry.size) {
        if (this.off === this.buf.length) this.rotate();
        const want = Math.min(entry.size - position, this.buf.length - this.off);
        const n = readSync(fd, this.buf, this.off, want, position);
        if (n === 0) throw sizeError(entry, position);
        this.off += n;
        position += n;
      }
    } finally {
      closeSync(fd);
    }
    this.pad(entry.size);
  }

  zeros(count: number): void {
    let left = count;
    while (left > 0) {
      if (this.off === this.buf.length) this.rotate();
      const n = Math.min(left, this.buf.length - this.off);
      this.buf.fill(0, this.off, this.off + n);
      this.off += n;
      left -= n;
    }
  }

  /** Batches that are full (all of them, the partial one included, when `all`). */
  *drain(all = false): Generator<Buffer> {
    if (all && this.off > 0) this.rotate();
    while (this.full.length > 0) yield this.full.shift() as Buffer;
  }

  private pad(length: number): void {
    const rest = length % BLOCK;
    if (rest !== 0) this.zeros(BLOCK - rest);
  }

  private bytes(data: Buffer): void {
    let done = 0;
    while (done < data.length) {
      if (this.off === this.buf.length) this.rotate();
      const n = data.copy(this.buf, this.off, done);
      this.off += n;
      done += n;
    }
  }

  private rotate(): void {
    this.full.push(this.buf.subarray(0, this.off));
    this.buf = Buffer.allocUnsafe(BATCH);
    this.off = 0;
  }
}

function sizeError(entry: ArchiveEntry, actual: number): Error {
  return new Error(
    `archive entry ${JSON.stringify(entry.name)}: expected ${entry.size} bytes in ${entry.file}, found ${actual}`,
  );
}

const TYPEFLAG = { file: 0, directory: 5, "pax-header": 72 } as const;

/** A ustar header as tar-stream encodes it; undefined when the name needs a PAX record (non-ASCII or too long). */
function encodeHeader(
  fullName: string,
  type: keyof typeof TYPEFLAG,
  mode: number,
  size: number,
): Buffer | undefined {
  let name = fullName;
  let prefix = "";
  if (Buffer.byteLength(name) !== name.length) return undefined;
  while (name.length > 100) {
    const i = name.indexOf("/");
    if (i === -1) return undefined;
    prefix += prefix ? "/" + name.slice(0, i) : name.slice(0, i);
    name = name.slice(i + 1);
  }
  if (name.length > 100 || prefix.length > 155) return undefined;
  const buf = Buffer.alloc(BLOCK);
  buf.write(name, 0);
  buf.write(octal(mode & 0o7777, 6), 100);
  buf.write(octal(0, 6), 108); // uid
  buf.write(octal(0, 6), 116); // gid
  if (size.toString(8).length > 11) {
    buf[124] = 0x80; // base-256 size, as tar-stream writes sizes of 8 GiB and more
    let num = size;
    for (let i = 11; i > 0; i--) {
      buf[124 + i] = num & 0xff;
      num = Math.floor(num / 0x100);
    }
  } else {
    buf.write(octal(size, 11), 124);
  }
  buf.write(octal(0, 11), 136); // mtime: the epoch
  buf[156] = 0x30 + TYPEFLAG[type];
  buf.write("ustar\0", 257, "latin1");
  buf.write("00", 263);
  buf.write(octal(0, 6), 329); // devmajor
  buf.write(octal(0, 6), 337); // devminor
  if (prefix) buf.write(prefix, 345);
  let sum = 8 * 32; // the checksum field counts as spaces
  for (let i = 0; i < 148; i++) sum += buf[i] ?? 0;
  for (let i = 156; i < BLOCK; i++) sum += buf[i] ?? 0;
  buf.write(octal(sum, 6), 148);
  return buf;
}

function octal(value: number, digits: number): string {
  const text = value.toString(8);
  return text.length > digits ? "7".repeat(digits) + " " : text.padStart(digits, "0") + " ";
}

/** A PAX extended-header record: its own length in decimal, then the text. */
function paxRecord(text: string): string {
  const len = Buffer.byteLength(text);
  let digits = Math.floor(Math.log(len) / Math.log(10)) + 1;
  if (len + digits >= Math.pow(10, digits)) digits++;
  return `${len + digits}${text}`;
}

function parentDirs(name: string): string[] {
  const parts = name.split("/").slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}
