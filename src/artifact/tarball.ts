// Deterministic tar.gz: the same files always give the same bytes, so the same sha256 digest; rebuilt incrementally
// from the previous artifact's compressed segments when only a few files changed.
import { createHash } from "node:crypto";
import { closeSync, createWriteStream, fstatSync, openSync, readSync, type WriteStream } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import os from "node:os";
import { finished } from "node:stream/promises";
import { once } from "node:events";
import {
  constants as zlibConstants,
  crc32,
  createDeflateRaw,
  deflateRawSync,
  type DeflateRaw,
} from "node:zlib";

/** One file of the artifact: its path inside the archive and where its bytes are on disk. */
export interface ArchiveEntry {
  name: string;
  file: string;
  /** Where the bytes start in `file` (a cache pack holds many files); without it the file is exactly `size`. */
  offset?: number;
  size: number;
  /**
   * Identifies the file's bytes (e.g. the object's etag): two entries with the same name, size and contentId must
   * have the same content. Only segments whose entries all carry one can be reused from a previous archive.
   */
  contentId?: string;
}

/**
 * Entries already in UTF-8 byte order of their names, read by position (twice: to plan the segments, then to
 * write them), so a million-file archive needs no array of a million entry objects.
 */
export interface SortedEntries {
  readonly length: number;
  at(i: number): ArchiveEntry;
}

export interface ArchiveResult {
  /** `sha256:<hex>` of the tar.gz bytes, what Flux's consumers verify. */
  digest: string;
  size: number;
  /** Where each compressed segment is in the file; hand it back as `previous` to rebuild incrementally. */
  index: SegmentIndex;
  /** Segments copied from the previous archive, and segments compressed. */
  reused: number;
  compressed: number;
}

/** The layout of one archive: its gzip member is a header, DEFLATE segments, a final block and the trailer. */
export interface SegmentIndex {
  format: typeof FORMAT;
  /** zlib's version and the level: segments are only reused when both match, so bytes equal a full build. */
  zlib: string;
  level: number;
  digest: string;
  size: number;
  segments: SegmentRecord[];
}

export interface SegmentRecord {
  /** sha256 of what the segment holds (entries' names, sizes, content ids, directory headers); "" = unknown. */
  id: string;
  offset: number;
  length: number;
  /** CRC-32 and length of the segment's uncompressed tar bytes. */
  crc: number;
  rawLength: number;
}

export interface WriteOptions {
  level?: number;
  /** The previous archive and its index: unchanged segments are copied from it instead of compressed again. */
  previous?: { file: string; index: SegmentIndex };
  /** Segments compressed at a time (on the libuv thread pool). */
  concurrency?: number;
}

// 3: segments whose probe does not compress are stored (DEFLATE stored blocks) instead of compressed.
const FORMAT = "bucketops-segments-3";
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;
const BLOCK = 512;
/** Tar bytes handed to zlib at a time: big enough to amortise per-chunk costs, small enough to stay lean. */
const BATCH = 256 * 1024;
/** Tar batches handed to zlib and not yet consumed, per segment: bounds the batch buffers a segment holds. */
const BATCHES_IN_FLIGHT = 2;
/** Bytes read from the previous archive at a time. */
const COPY_CHUNK = 1024 * 1024;
/**
 * Expected uncompressed size of a segment. Each segment starts with an empty DEFLATE window, so small segments
 * compress worse (manifests: +12 % at 256 KiB, +4 % at 1 MiB against one stream); a changed file costs
 * compressing its whole segment again.
 */
const SEGMENT_TARGET = 1024 * 1024;
/**
 * Bytes of a segment's first batch compressed as a probe: unless they shrink to below STORE_RATIO of their size
 * (tar headers alone shrink a random file's probe by ~3 %), the segment is written as stored blocks.
 * Already-compressed content (Helm charts, images) costs zlib ~30 MB/s per core at the default level for nothing;
 * stored, it costs a copy. The probe depends only on the bytes, so it is deterministic.
 */
const PROBE = 16 * 1024;
const STORE_RATIO = 0.9;
/** The most a stored block holds. */
const MAX_STORED = 65_535;
/** Batches of a stored segment written and not yet in the file. */
const STORED_IN_FLIGHT = 4;

/**
 * Writes `entries` as a gzip'd tar to `outPath`: entries sorted by name (UTF-8 bytes), parent directories
 * added before their first file, mtime 0, uid/gid 0, fixed modes, no owner names, no symlinks.
 * Names must already be safe relative paths (see source/safe-key). Fails with ArchiveSourceError if a file is
 * missing or shorter than its entry.
 *
 * The tar bytes are exactly tar-stream's ustar encoding (PAX `path` records for names that ustar cannot hold).
 * They are cut into segments at content-defined points (a cut after a file depends only on its name and size,
 * and around files bigger than the target), and each segment is compressed on its own as raw DEFLATE ending in
 * a sync flush (byte-aligned, not final), so segments concatenate into one valid DEFLATE stream: one gzip
 * member, read by gunzip, Go's compress/gzip, zlib and tar. The trailer's CRC-32 is combined from the segments'.
 * A segment whose id is in `previous` is copied from that file (whose digest is checked while it is read; on a
 * mismatch the archive is built from scratch), so the bytes are always those of a full build.
 */
export async function writeTarGz(
  entries: readonly ArchiveEntry[] | SortedEntries,
  outPath: string,
  options: WriteOptions = {},
): Promise<ArchiveResult> {
  const level = options.level ?? zlibConstants.Z_DEFAULT_COMPRESSION;
  const source = isArray(entries) ? arrayEntries(sortByUtf8([...entries], (e) => e.name)) : entries;
  const groups = segmentGroups(source, level);
  const previous = options.previous;
  if (previous && usable(previous.index, level)) {
    try {
      return await build(groups, outPath, level, options, previous);
    } catch (error) {
      if (!(error instanceof StalePreviousError)) throw error;
    }
  }
  return build(groups, outPath, level, options, undefined);
}

interface Unit {
  dirs: string[];
  entry: ArchiveEntry;
}

/** Entries [start, end) of the source, and the segment's id. */
interface Group {
  start: number;
  end: number;
  id: string;
  units: () => Iterable<Unit>;
}

function isArray(entries: readonly ArchiveEntry[] | SortedEntries): entries is readonly ArchiveEntry[] {
  return Array.isArray(entries);
}

function arrayEntries(sorted: readonly ArchiveEntry[]): SortedEntries {
  return { length: sorted.length, at: (i) => sorted[i] as ArchiveEntry };
}

/**
 * The directory headers written before `name`: its parent folders that are not parents of the entry before it.
 * In byte order every name under "d/" is contiguous, so a folder shared with any earlier entry is shared with
 * the one just before: this equals keeping a set of every folder written, without the set.
 */
function freshDirs(name: string, previous: string | undefined): string[] {
  const dirs = parentDirs(name);
  if (previous === undefined) return dirs;
  const before = parentDirs(previous);
  let k = 0;
  while (k < dirs.length && k < before.length && dirs[k] === before[k]) k++;
  return dirs.slice(k);
}

/** The units of entries [start, end), read from the source lazily. */
function* unitsOf(source: SortedEntries, start: number, end: number): Generator<Unit> {
  let previous = start > 0 ? source.at(start - 1).name : undefined;
  for (let i = start; i < end; i++) {
    const entry = source.at(i);
    yield { dirs: freshDirs(entry.name, previous), entry };
    previous = entry.name;
  }
}

class StalePreviousError extends Error {}

function usable(index: SegmentIndex, level: number): boolean {
  return index.format === FORMAT && index.zlib === process.versions.zlib && index.level === level;
}

/**
 * Units (a file and the directory headers before it) cut into segments at content-defined points, in one pass
 * over the source holding one unit of lookahead. Fails if the source is not in byte order of names.
 */
function segmentGroups(source: SortedEntries, level: number): Group[] {
  const groups: Group[] = [];
  let start = 0;
  let id = new GroupId(level);
  const close = (end: number): void => {
    if (end > start) {
      const from = start;
      groups.push({ start: from, end, id: id.digest(), units: () => unitsOf(source, from, end) });
    }
    start = end;
    id = new GroupId(level);
  };
  const units = unitsOf(source, 0, source.length);
  let current = units.next();
  let previousName: Buffer | undefined;
  for (let i = 0; !current.done; i++) {
    const unit = current.value;
    const name = Buffer.from(unit.entry.name);
    if (previousName && Buffer.compare(previousName, name) > 0)
      throw new Error(`archive entries are not sorted: ${JSON.stringify(unit.entry.name)}`);
    previousName = name;
    const following = units.next();
    const bytes = unitBytes(unit);
    if (bytes >= SEGMENT_TARGET) close(i); // a big file starts its own segment
    id.add(unit);
    if (
      bytes >= SEGMENT_TARGET ||
      (!following.done && unitBytes(following.value) >= SEGMENT_TARGET) ||
      hash32(unit.entry.name) / 2 ** 32 < bytes / SEGMENT_TARGET
    ) {
      close(i + 1);
    }
    current = following;
  }
  close(source.length);
  return groups;
}

/** Approximate tar bytes of a unit (headers and padded data): only used to place cuts. */
function unitBytes(unit: Unit): number {
  return BLOCK * (1 + unit.dirs.length) + Math.ceil(unit.entry.size / BLOCK) * BLOCK;
}

/** sha256 of what a segment holds, fed a unit at a time; "" once a unit has no content id. */
class GroupId {
  private readonly hash;
  private unknown = false;

  constructor(level: number) {
    this.hash = createHash("sha256").update(`${FORMAT}\0${process.versions.zlib}\0${level}\0`);
  }

  add(u: Unit): void {
    if (this.unknown || u.entry.contentId === undefined) {
      this.unknown = true;
      return;
    }
    this.hash.update(JSON.stringify([u.dirs, u.entry.name, u.entry.size, u.entry.contentId]));
    this.hash.update("\n");
  }

  digest(): string {
    return this.unknown ? "" : this.hash.digest("hex");
  }
}

/** FNV-1a over the UTF-8 bytes, then murmur3's finaliser: a well-spread 32-bit hash for cut points. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text)) h = Math.imul(h ^ byte, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Segment {
  chunks: Buffer[];
  crc: number;
  rawLength: number;
}

async function build(
  groups: readonly Group[],
  outPath: string,
  level: number,
  options: WriteOptions,
  previous: { file: string; index: SegmentIndex } | undefined,
): Promise<ArchiveResult> {
  const old = new Map<string, SegmentRecord>();
  for (const s of previous?.index.segments ?? []) if (s.id !== "") old.set(s.id, s);
  const source = previous ? await PreviousReader.open(previous.file, previous.index) : undefined;
  const out = new HashingWriter(createWriteStream(outPath, { highWaterMark: COPY_CHUNK }));
  const concurrency = Math.max(1, options.concurrency ?? Math.min(4, os.availableParallelism()));
  const records: SegmentRecord[] = [];
  let crc = 0;
  let rawLength = 0;
  let reused = 0;
  let compressed = 0;
  try {
    await out.write(gzipHeader(level));
    // Compress ahead, at most `concurrency` segments at a time (on the thread pool), and write them in order.
    const reusable = (group: Group): SegmentRecord | undefined =>
      source && group.id !== "" ? old.get(group.id) : undefined;
    const pending = new Map<number, Promise<Segment | "store">>();
    // Tar batch buffers shared by the segments being compressed, so a build allocates a handful, not a few per segment.
    const pool: Buffer[] = [];
    let next = 0;
    const startUpTo = (end: number): void => {
      for (; next < groups.length && next < end; next++) {
        const group = groups[next] as Group;
        if (reusable(group)) continue;
        const task = compressGroup(group.units(), level, pool);
        task.catch(() => undefined); // awaited in order below; a failure stops the build there
        pending.set(next, task);
      }
    };
    for (const [i, group] of groups.entries()) {
      startUpTo(i + concurrency);
      const offset = out.size;
      const prior = reusable(group);
      let segment: { crc: number; rawLength: number };
      if (prior && source) {
        await source.copy(prior, out);
        segment = prior;
        reused++;
      } else {
        const task = pending.get(i) ?? compressGroup(group.units(), level, pool);
        pending.delete(i);
        const done = await task;
        if (done === "store") {
          segment = await writeStored(group.units(), pool, out);
        } else {
          for (const chunk of done.chunks) await out.write(chunk);
          segment = done;
        }
        compressed++;
      }
      records.push({
        id: group.id,
        offset,
        length: out.size - offset,
        crc: segment.crc,
        rawLength: segment.rawLength,
      });
      crc = crc32Combine(crc, segment.crc, segment.rawLength);
      rawLength += segment.rawLength;
    }
    // End of archive: two zero blocks, in the final DEFLATE block.
    const tail = Buffer.alloc(2 * BLOCK);
    await out.write(deflateRawSync(tail, { level }));
    crc = crc32Combine(crc, crc32(tail), tail.length);
    rawLength += tail.length;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(rawLength % 2 ** 32, 4);
    await out.write(trailer);
    await source?.finish();
    const { digest, size } = await out.close();
    const index: SegmentIndex = {
      format: FORMAT,
      zlib: process.versions.zlib,
      level,
      digest,
      size,
      segments: records,
    };
    return { digest, size, index, reused, compressed };
  } catch (error) {
    await out.abort();
    throw error;
  } finally {
    await source?.close();
  }
}

/** gzip's member header as zlib writes it: no name, mtime 0, XFL from the level, OS = Unix. */
function gzipHeader(level: number): Buffer {
  const xfl = level === 9 ? 2 : level >= 0 && level < 2 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

/**
 * One segment: the tar bytes of `units` as raw DEFLATE ending in a sync flush (byte-aligned, not final), or
 * "store" when its start does not compress: such a segment is written as stored blocks in its turn by
 * writeStored, streamed, never held in memory.
 */
async function compressGroup(
  units: Iterable<Unit>,
  level: number,
  pool: Buffer[],
): Promise<Segment | "store"> {
  let deflate: DeflateRaw | undefined;
  const chunks: Buffer[] = [];
  let done: Promise<void> = Promise.resolve();
  // Tar batches are read into reused buffers: a buffer goes back to the pool once zlib has consumed it.
  const inFlight: Promise<void>[] = [];
  let crc = 0;
  let rawLength = 0;
  try {
    for (const batch of tarBytes(units, pool)) {
      const bytes = batch.buf.subarray(0, batch.length);
      if (!deflate) {
        if (!compressible(bytes, level)) {
          pool.push(batch.buf);
          return "store"; // leaving the loop closes the generator (and its file)
        }
        deflate = createDeflateRaw({ level, finishFlush: zlibConstants.Z_SYNC_FLUSH, chunkSize: 64 * 1024 });
        deflate.on("data", (chunk: Buffer) => chunks.push(chunk));
        done = finished(deflate);
        done.catch(() => undefined); // awaited below unless the input fails first
      }
      const target = deflate;
      crc = crc32(bytes, crc);
      rawLength += bytes.length;
      inFlight.push(
        new Promise<void>((resolve) => {
          target.write(bytes, () => {
            pool.push(batch.buf);
            resolve();
          });
        }),
      );
      // At most BATCHES_IN_FLIGHT batches wait in zlib; the next is read while those are compressed.
      if (inFlight.length >= BATCHES_IN_FLIGHT) await inFlight.shift();
    }
    if (!deflate) throw new Error("empty archive segment"); // every unit has at least one header
    deflate.end();
    await done;
  } catch (error) {
    deflate?.destroy();
    throw error;
  }
  return { chunks, crc, rawLength };
}

/**
 * Writes the tar bytes of `units` to `out` as DEFLATE stored blocks (RFC 1951 3.2.4: a byte-aligned header with
 * BFINAL 0 and BTYPE 00, LEN, NLEN, then LEN bytes as they are). zlib at level 0 makes the same kind of blocks
 * but copies every byte through its window first; here a batch goes from the read buffer to the file.
 */
async function writeStored(
  units: Iterable<Unit>,
  pool: Buffer[],
  out: HashingWriter,
): Promise<{ crc: number; rawLength: number }> {
  let crc = 0;
  let rawLength = 0;
  const inFlight: Promise<void>[] = [];
  try {
    for (const batch of tarBytes(units, pool)) {
      const bytes = batch.buf.subarray(0, batch.length);
      crc = crc32(bytes, crc);
      rawLength += bytes.length;
      const pieces: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += MAX_STORED) {
        const block = bytes.subarray(at, Math.min(bytes.length, at + MAX_STORED));
        const header = Buffer.alloc(5);
        header.writeUInt16LE(block.length, 1);
        header.writeUInt16LE(~block.length & 0xffff, 3);
        pieces.push(header, block);
      }
      // The batch buffer goes back to the pool once its bytes are in the file; a few batches are in flight.
      const written = out.writeAll(pieces).then(() => {
        pool.push(batch.buf);
      });
      written.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
      inFlight.push(written);
      if (inFlight.length >= STORED_IN_FLIGHT) await inFlight.shift();
    }
  } catch (error) {
    await Promise.allSettled(inFlight); // no write may still use a buffer once the caller sees the failure
    throw error;
  }
  await Promise.all(inFlight);
  return { crc, rawLength };
}

/** Whether the start of a segment shrinks enough under DEFLATE to be worth compressing the whole segment. */
function compressible(first: Buffer, level: number): boolean {
  if (level === zlibConstants.Z_NO_COMPRESSION) return false;
  const sample = first.subarray(0, PROBE);
  return deflateRawSync(sample, { level: 1 }).length < sample.length * STORE_RATIO;
}

/** The tar bytes of `units`, in batches read lazily into buffers taken from `pool` (allocated when it is empty). */
function* tarBytes(units: Iterable<Unit>, pool: Buffer[]): Generator<Batch> {
  const out = new BatchWriter(pool);
  try {
    for (const { dirs, entry } of units) {
      for (const dir of dirs) out.headers(`${dir}/`, "directory", DIR_MODE, 0);
      out.headers(entry.name, "file", FILE_MODE, entry.size);
      yield* out.drain();
      yield* out.file(entry);
    }
  } finally {
    out.closeFile();
  }
  yield* out.drain(true);
  out.release();
}

/** The output file, with its sha256 and size, honouring back-pressure. */
class HashingWriter {
  size = 0;
  private readonly hash = createHash("sha256");
  private error: Error | undefined;

  constructor(private readonly stream: WriteStream) {
    stream.on("error", (error: Error) => (this.error ??= error));
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.error) throw this.error;
    this.hash.update(chunk);
    this.size += chunk.length;
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  /** Writes `chunks` in order; resolves once the last is in the file, so the caller may reuse their memory. */
  writeAll(chunks: readonly Buffer[]): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    for (const chunk of chunks) {
      this.hash.update(chunk);
      this.size += chunk.length;
    }
    return new Promise<void>((resolve, reject) => {
      chunks.forEach((chunk, i) => {
        if (i < chunks.length - 1) this.stream.write(chunk);
        else
          this.stream.write(chunk, (error) => {
            if (error) reject(error);
            else resolve();
          });
      });
    });
  }

  /** Writes `chunk` and resolves once it is in the file, so the caller may reuse its memory. */
  async writeThrough(chunk: Buffer): Promise<void> {
    if (this.error) throw this.error;
    this.hash.update(chunk);
    this.size += chunk.length;
    await new Promise<void>((resolve, reject) => {
      this.stream.write(chunk, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }

  async close(): Promise<{ digest: string; size: number }> {
    this.stream.end();
    await finished(this.stream);
    if (this.error) throw this.error;
    return { digest: `sha256:${this.hash.digest("hex")}`, size: this.size };
  }

  /** Stops writing; resolves once the file is closed (its pending writes done), so it can be written again. */
  async abort(): Promise<void> {
    if (this.stream.closed) return;
    this.stream.end();
    await finished(this.stream).catch(() => undefined);
  }
}

/**
 * Reads the previous archive front to back: copies the ranges asked for (in increasing order) and hashes every
 * byte, so `finish` can check the file is still the one the index describes before the new archive is used.
 */
class PreviousReader {
  private position = 0;
  private readonly hash = createHash("sha256");
  /** One buffer for every read: each chunk is in the new file before the next read. */
  private buf: Buffer | undefined;

  private constructor(
    private readonly fh: FileHandle,
    private readonly index: SegmentIndex,
  ) {}

  static async open(file: string, index: SegmentIndex): Promise<PreviousReader | undefined> {
    try {
      return new PreviousReader(await open(file, "r"), index);
    } catch {
      return undefined;
    }
  }

  async copy(record: SegmentRecord, out: HashingWriter): Promise<void> {
    if (record.offset < this.position) throw new StalePreviousError("segments out of order");
    await this.pass(record.offset - this.position, undefined);
    await this.pass(record.length, out);
  }

  async finish(): Promise<void> {
    await this.pass(Infinity, undefined);
    const digest = `sha256:${this.hash.digest("hex")}`;
    if (this.position !== this.index.size || digest !== this.index.digest) {
      throw new StalePreviousError("previous archive does not match its index");
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** Reads `length` bytes (or to the end), hashing them and writing them to `out` when given. */
  private async pass(length: number, out: HashingWriter | undefined): Promise<void> {
    let left = length;
    while (left > 0) {
      this.buf ??= Buffer.allocUnsafe(COPY_CHUNK);
      const buf = this.buf;
      const { bytesRead } = await this.fh.read(buf, 0, Math.min(left, COPY_CHUNK), this.position);
      if (bytesRead === 0) {
        if (length === Infinity) return;
        throw new StalePreviousError("previous archive is shorter than its index");
      }
      const chunk = buf.subarray(0, bytesRead);
      this.hash.update(chunk);
      this.position += bytesRead;
      left -= bytesRead;
      if (out) await out.writeThrough(chunk);
    }
  }
}

// CRC-32 combination (zlib's crc32_combine, as of 1.2.12): the CRC of A‖B from crc(A), crc(B) and |B|.
const CRC_POLY = 0xedb88320;

/** a × b modulo the CRC polynomial (reflected bit order). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let bb = b >>> 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    bb = bb & 1 ? (bb >>> 1) ^ CRC_POLY : bb >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31. */
const X2N: number[] = (() => {
  const table = [0x40000000];
  for (let k = 1; k < 32; k++) {
    const prev = table[k - 1] as number;
    table.push(multModP(prev, prev));
  }
  return table;
})();

/** x^(n·2^k) modulo the polynomial. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  let rest = n;
  let kk = k;
  while (rest > 0) {
    if (rest % 2 === 1) p = multModP(X2N[kk & 31] as number, p);
    rest = Math.floor(rest / 2);
    kk++;
  }
  return p;
}

export function crc32Combine(crc1: number, crc2: number, length2: number): number {
  return (multModP(x2nModP(length2, 3), crc1 >>> 0) ^ crc2) >>> 0;
}

interface Batch {
  /** A buffer of BATCH bytes, given back to the pool once its first `length` bytes are consumed. */
  buf: Buffer;
  length: number;
}

class BatchWriter {
  private buf: Buffer;
  private off = 0;
  private readonly full: Batch[] = [];
  private open: { file: string; fd: number; size: number } | undefined;

  constructor(private readonly pool: Buffer[]) {
    this.buf = this.take();
  }

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

  /**
   * Copies `entry.size` bytes of the file, then the block padding, yielding each batch as it fills (so a big file
   * is never all in memory). Throws ArchiveSourceError if the file is missing or not that size.
   */
  *file(entry: ArchiveEntry): Generator<Batch> {
    let opened: { fd: number; size: number };
    try {
      opened = this.openFile(entry.file);
    } catch (error) {
      throw (error as NodeJS.ErrnoException).code === "ENOENT" ? missingError(entry, error) : error;
    }
    const { fd, size } = opened;
    const start = entry.offset ?? 0;
    const fits = entry.offset === undefined ? size === entry.size : start + entry.size <= size;
    if (!fits) throw sizeError(entry, size - start);
    let position = 0;
    while (position < entry.size) {
      if (this.off === this.buf.length) {
        this.rotate();
        yield* this.drain();
      }
      const want = Math.min(entry.size - position, this.buf.length - this.off);
      const n = readSync(fd, this.buf, this.off, want, start + position);
      if (n === 0) throw sizeError(entry, position);
      this.off += n;
      position += n;
    }
    this.pad(entry.size);
    yield* this.drain();
  }

  /** Consecutive entries often share a file (a cache pack): it stays open until another file is needed. */
  private openFile(file: string): { fd: number; size: number } {
    if (this.open?.file === file) return this.open;
    this.closeFile();
    const fd = openSync(file, "r");
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw new Error(`archive entry source ${file} is not a regular file`);
      this.open = { file, fd, size: stats.size };
      return this.open;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Closes the file kept open by `file`; call when done (also on failure). */
  closeFile(): void {
    if (this.open) closeSync(this.open.fd);
    this.open = undefined;
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
  *drain(all = false): Generator<Batch> {
    if (all && this.off > 0) this.rotate();
    while (this.full.length > 0) yield this.full.shift() as Batch;
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
    this.full.push({ buf: this.buf, length: this.off });
    this.buf = this.take();
    this.off = 0;
  }

  /** Gives the current (empty) buffer back to the pool once every batch is drained. */
  release(): void {
    if (this.off === 0 && this.full.length === 0) this.pool.push(this.buf);
  }

  private take(): Buffer {
    return this.pool.pop() ?? Buffer.allocUnsafe(BATCH);
  }
}

/**
 * An entry's source bytes are not what the entry says (shorter, or the file is gone): the archive is not written.
 * Carries the entry's name and contentId so the caller can drop the damaged source (a cache entry) and fetch again.
 */
export class ArchiveSourceError extends Error {
  override readonly name = "ArchiveSourceError";
  constructor(
    readonly entryName: string,
    readonly contentId: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function sizeError(entry: ArchiveEntry, actual: number): ArchiveSourceError {
  return new ArchiveSourceError(
    entry.name,
    entry.contentId,
    `archive entry ${JSON.stringify(entry.name)}: expected ${entry.size} bytes in ${entry.file}, found ${actual}`,
  );
}

function missingError(entry: ArchiveEntry, cause: unknown): ArchiveSourceError {
  return new ArchiveSourceError(
    entry.name,
    entry.contentId,
    `archive entry ${JSON.stringify(entry.name)}: ${entry.file} does not exist`,
    { cause },
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

/**
 * Sorts by the UTF-8 bytes of `keyOf`, encoding each key once: encoding inside the comparator would make
 * n·log n short-lived buffers (tens of MB for 10,000 keys).
 */
function sortByUtf8<T>(items: T[], keyOf: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, bytes: Buffer.from(keyOf(item)) }));
  keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  return keyed.map((k) => k.item);
}
