// The last published scan of a Bucket, kept in its content cache folder so a bucket event can be applied to it
// instead of listing the prefix again (see incremental-scan). Binary: a JSON header, then the packed index's arrays
// as they are in memory, so a million keys are written and read back as a few large buffers.
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { ObjectInfo } from "../providers/types.js";
import type { IgnoreLayer } from "./ignore-rules.js";
import { ObjectIndex, type PackedIndex } from "./object-index.js";

const MAGIC = Buffer.from("bucketops-scan-1\n");
const FORMAT = 2; // 2: with the control objects

/** What the stored index was built from: a reconcile of another source or settings does not use it. */
export interface ScanSettings {
  /** Provider, endpoint, bucket (and whatever else names the bucket), as one string. */
  source: string;
  prefix: string;
  /** spec.ignore ("" for none). */
  ignore: string;
}

/** One published scan: its settings, the ignore rules it applied, and the index it built. */
export interface StoredScan {
  settings: ScanSettings;
  /** The ignore layers (.sourceignore contents and spec.ignore) the scan applied, in order. */
  ignoreLayers: IgnoreLayer[];
  /** The .sourceignore files read, with their etags. */
  ignoreFiles: { key: string; etag: string }[];
  /** The listed objects of the control folder (the push index), kept out of the index. */
  control: ControlObject[];
  index: ObjectIndex;
}

/** What is kept of a control object: what the consistency gate reads it by. */
export type ControlObject = Pick<ObjectInfo, "key" | "etag" | "size" | "md5">;

interface Header {
  format: typeof FORMAT;
  endianness: "LE" | "BE";
  settings: ScanSettings;
  ignoreLayers: IgnoreLayer[];
  ignoreFiles: { key: string; etag: string }[];
  control: ControlObject[];
  count: number;
  /** Byte lengths of the sections that follow, in write order. */
  sections: number[];
  /** CRC-32 of the sections, so a damaged file is refused rather than applied (the folder is trusted). */
  crc32: number;
}

const FILE_NAME = "scan-index.bin";

/** Where a cache folder keeps the stored scan (a name the cache's prune keeps). */
export function scanStatePath(metaPath: (name: string) => string): string {
  return metaPath(FILE_NAME);
}

/**
 * Writes `scan` to `file` atomically (a temp file beside it, fsync, rename): a crash leaves the old file or the new
 * one, never a mix. Throws on I/O errors.
 */
export async function writeScanState(file: string, scan: StoredScan): Promise<void> {
  const sections = packedSections(scan.index.packed());
  const header: Header = {
    format: FORMAT,
    endianness: os.endianness(),
    settings: scan.settings,
    ignoreLayers: scan.ignoreLayers,
    ignoreFiles: scan.ignoreFiles.map(({ key, etag }) => ({ key, etag })),
    control: scan.control.map(({ key, etag, size, md5 }) =>
      md5 === undefined ? { key, etag, size } : { key, etag, size, md5 },
    ),
    count: scan.index.size,
    sections: sections.map((s) => s.length),
    crc32: checksum(sections),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.tmp-${randomBytes(8).toString("hex")}`); // pruned if left behind
  const handle = await open(tmp, "w");
  try {
    await handle.writev([MAGIC, length, headerBytes, ...sections]);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Reads the stored scan back; undefined when there is none or it cannot be used (another format or byte order,
 * truncated, or its checksum does not match): the caller lists the bucket instead.
 */
export async function readScanState(file: string): Promise<StoredScan | undefined> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return undefined;
  }
  try {
    return decode(data);
  } catch {
    return undefined;
  }
}

/** Removes the stored scan, so the next reconcile lists the bucket. Never throws for a missing file. */
export async function removeScanState(file: string): Promise<void> {
  await rm(file, { force: true });
}

function decode(data: Buffer): StoredScan {
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error("not a stored scan");
  const headerLength = data.readUInt32LE(MAGIC.length);
  let at = MAGIC.length + 4;
  const header = JSON.parse(data.toString("utf8", at, at + headerLength)) as Header;
  at += headerLength;
  if (header.format !== FORMAT || header.endianness !== os.endianness()) throw new Error("another format");
  if (header.sections.length !== SECTION_COUNT) throw new Error("another layout");
  const sections: Buffer[] = [];
  for (const length of header.sections) {
    if (at + length > data.length) throw new Error("truncated");
    sections.push(data.subarray(at, at + length));
    at += length;
  }
  if (at !== data.length) throw new Error("trailing bytes");
  if (checksum(sections) !== header.crc32) throw new Error("checksum mismatch");
  const index = ObjectIndex.fromPacked(unpackSections(sections));
  if (index.size !== header.count) throw new Error("count mismatch");
  return {
    settings: header.settings,
    ignoreLayers: header.ignoreLayers,
    ignoreFiles: header.ignoreFiles,
    control: header.control,
    index,
  };
}

const SECTION_COUNT = 8;

function checksum(sections: readonly Buffer[]): number {
  let crc = 0;
  for (const section of sections) crc = crc32(section, crc);
  return crc;
}

/** The index's arrays as byte views (no copies), in a fixed order. */
function packedSections(p: PackedIndex): Buffer[] {
  const bytesOf = (a: Uint32Array | Float64Array | Uint8Array): Buffer =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return [
    p.keys.bytes,
    bytesOf(p.keys.ends),
    p.etags.bytes,
    bytesOf(p.etags.ends),
    p.md5s.bytes,
    bytesOf(p.md5s.ends),
    bytesOf(p.sizes),
    bytesOf(p.md5Kinds),
  ];
}

/** Typed arrays copied out of the file's buffer (its offsets need not be aligned for a view). */
function unpackSections(s: Buffer[]): PackedIndex {
  const u32 = (b: Buffer): Uint32Array<ArrayBuffer> => {
    if (b.length % 4 !== 0) throw new Error("bad offsets section");
    const out = new Uint32Array(b.length / 4);
    Buffer.from(out.buffer).set(b);
    return out;
  };
  const f64 = (b: Buffer): Float64Array<ArrayBuffer> => {
    if (b.length % 8 !== 0) throw new Error("bad sizes section");
    const out = new Float64Array(b.length / 8);
    Buffer.from(out.buffer).set(b);
    return out;
  };
  const [keys, keyEnds, etags, etagEnds, md5s, md5Ends, sizes, kinds] = s as [
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
    Buffer,
  ];
  return {
    keys: { bytes: Buffer.from(keys), ends: u32(keyEnds) },
    etags: { bytes: Buffer.from(etags), ends: u32(etagEnds) },
    md5s: { bytes: Buffer.from(md5s), ends: u32(md5Ends) },
    sizes: f64(sizes),
    md5Kinds: new Uint8Array(kinds),
  };
}
