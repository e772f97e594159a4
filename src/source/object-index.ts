// The index (key → etag) of what a Bucket publishes, and its revision.
// Packed: keys and etags are UTF-8 bytes in two buffers with offset tables, sizes in a Float64Array — about
// 60 bytes an entry for a million keys, where an object per entry (and a Map over them) cost several hundred.
import { createHash } from "node:crypto";

export interface IndexEntry {
  key: string;
  etag: string;
  size: number;
  /** The listed MD5 of the body (ObjectInfo.md5), checked when it is fetched. */
  md5?: string | undefined;
}

export interface IndexDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** One column of strings as stored: the UTF-8 bytes of all, and where each ends. */
export interface PackedPart {
  bytes: Buffer<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
}

/** @internal An index's packed arrays (see ObjectIndex.packed): what source/scan-state writes and reads back. */
export interface PackedIndex {
  keys: PackedPart;
  etags: PackedPart;
  /** MD5s of entries whose kind is 2 (their own); "" for the others. */
  md5s: PackedPart;
  sizes: Float64Array<ArrayBuffer>;
  /** 0: no MD5, 1: the etag is the MD5, 2: its own (in md5s). */
  md5Kinds: Uint8Array<ArrayBuffer>;
}

/** Growable UTF-8 strings in one buffer: string i is bytes [ends[i-1], ends[i]). */
class PackedStrings {
  bytes = Buffer.allocUnsafe(64 * 1024);
  ends = new Uint32Array(1024);
  length = 0;
  used = 0;

  push(text: string): void {
    const max = text.length * 3;
    if (this.used + max > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + max));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.used += this.bytes.write(text, this.used, "utf8");
    this.pushEnd(this.used);
  }

  pushBytes(source: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.used + n > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + n));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    source.copy(this.bytes, this.used, start, end);
    this.used += n;
    this.pushEnd(this.used);
  }

  start(i: number): number {
    return i === 0 ? 0 : (this.ends[i - 1] as number);
  }

  end(i: number): number {
    return this.ends[i] as number;
  }

  text(i: number): string {
    return this.bytes.toString("utf8", this.start(i), this.end(i));
  }

  /** Takes over persisted strings: `count` of them, each end within the bytes and none before the one ahead. */
  adopt(part: PackedPart, count: number, what: string): void {
    if (part.ends.length !== count) throw new Error(`packed index: ${what} of another length`);
    let last = 0;
    for (const end of part.ends) {
      if (end < last || end > part.bytes.length)
        throw new Error(`packed index: ${what} offsets out of range`);
      last = end;
    }
    if (last !== part.bytes.length) throw new Error(`packed index: ${what} bytes of another length`);
    this.bytes = part.bytes;
    this.ends = part.ends;
    this.length = count;
    this.used = last;
  }

  /** Drops the spare capacity, so a finished index holds only its bytes. */
  trim(): void {
    if (this.bytes.length > this.used) this.bytes = Buffer.from(this.bytes.subarray(0, this.used));
    if (this.ends.length > this.length) this.ends = this.ends.slice(0, this.length);
  }

  private pushEnd(end: number): void {
    if (this.length === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.length++] = end;
  }
}

/** How an entry's listed MD5 is kept: most S3 ETags are the MD5 itself, so it is not stored twice. */
const MD5_NONE = 0;
const MD5_IS_ETAG = 1;
const MD5_OWN = 2;

/** Collects entries (in any order) for an ObjectIndex without an object per entry. */
export class ObjectIndexBuilder {
  /** @internal */ readonly keys = new PackedStrings();
  /** @internal */ readonly etags = new PackedStrings();
  /** @internal MD5s of kind MD5_OWN; "" for the others. */ readonly md5s = new PackedStrings();
  /** @internal */ sizes = new Float64Array(1024);
  /** @internal */ md5Kinds = new Uint8Array(1024);
  /**
   * @internal Set by code that adds keys in UTF-8 byte order by construction (a merge of sorted lists, a stored
   * index read back after its checksum): the index then skips its order check, a compare a key.
   */
  inOrder = false;

  /** Entries added so far. */
  get length(): number {
    return this.keys.length;
  }

  add(key: string, etag: string, size: number, md5?: string): void {
    const i = this.keys.length;
    this.keys.push(key);
    this.etags.push(etag);
    const kind = md5 === undefined ? MD5_NONE : md5 === etag ? MD5_IS_ETAG : MD5_OWN;
    this.md5s.push(kind === MD5_OWN ? (md5 as string) : "");
    this.pushNumbers(i, size, kind);
  }

  /** @internal Copies entry `i` of a built index. */
  addFrom(index: ObjectIndex, i: number): void {
    const at = this.keys.length;
    const kind = index.copyTo(this, i);
    this.pushNumbers(at, index.sizeAt(i), kind);
  }

  /** @internal */
  pushNumbers(i: number, size: number, md5Kind: number): void {
    if (i >= this.sizes.length) {
      const sizes = new Float64Array(this.sizes.length * 2);
      sizes.set(this.sizes);
      this.sizes = sizes;
      const kinds = new Uint8Array(this.md5Kinds.length * 2);
      kinds.set(this.md5Kinds);
      this.md5Kinds = kinds;
    }
    this.sizes[i] = size;
    this.md5Kinds[i] = md5Kind;
  }
}

/** An immutable, key-sorted index. Keys sort by UTF-8 bytes, as Go's sort does, so revisions match Flux's. */
export class ObjectIndex implements Iterable<IndexEntry> {
  private readonly keys: PackedStrings;
  private readonly etags: PackedStrings;
  private readonly md5s: PackedStrings;
  private readonly sizes: Float64Array<ArrayBuffer>;
  private readonly md5Kinds: Uint8Array<ArrayBuffer>;
  private cachedEntries: readonly IndexEntry[] | undefined;

  /** From entries in any order, or from a builder (which must not be used afterwards). */
  constructor(source: Iterable<IndexEntry> | ObjectIndexBuilder) {
    let builder: ObjectIndexBuilder;
    if (source instanceof ObjectIndexBuilder) builder = source;
    else {
      builder = new ObjectIndexBuilder();
      for (const e of source) builder.add(e.key, e.etag, e.size, e.md5);
    }
    const order = builder.inOrder ? undefined : sortedOrder(builder.keys);
    if (order === undefined) {
      this.keys = builder.keys;
      this.etags = builder.etags;
      this.md5s = builder.md5s;
      this.sizes = builder.sizes.slice(0, builder.length);
      this.md5Kinds = builder.md5Kinds.slice(0, builder.length);
    } else {
      // Rewritten in key order, so iteration reads both buffers front to back and lookups can bisect.
      this.keys = new PackedStrings();
      this.etags = new PackedStrings();
      this.md5s = new PackedStrings();
      this.sizes = new Float64Array(order.length);
      this.md5Kinds = new Uint8Array(order.length);
      for (let n = 0; n < order.length; n++) {
        const i = order[n] as number;
        this.keys.pushBytes(builder.keys.bytes, builder.keys.start(i), builder.keys.end(i));
        this.etags.pushBytes(builder.etags.bytes, builder.etags.start(i), builder.etags.end(i));
        this.md5s.pushBytes(builder.md5s.bytes, builder.md5s.start(i), builder.md5s.end(i));
        this.sizes[n] = builder.sizes[i] as number;
        this.md5Kinds[n] = builder.md5Kinds[i] as number;
      }
    }
    this.keys.trim();
    this.etags.trim();
    this.md5s.trim();
  }

  get size(): number {
    return this.keys.length;
  }

  /** Total bytes of all objects. */
  get totalBytes(): number {
    let sum = 0;
    for (const size of this.sizes) sum += size;
    return sum;
  }

  /** Every entry in key order, as objects: built on first use; prefer iteration or the `*At` methods at scale. */
  get entries(): readonly IndexEntry[] {
    this.cachedEntries ??= [...this];
    return this.cachedEntries;
  }

  *[Symbol.iterator](): Iterator<IndexEntry> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }

  /** Entry `i` in key order (0 ≤ i < size). */
  at(i: number): IndexEntry {
    const entry: IndexEntry = { key: this.keyAt(i), etag: this.etagAt(i), size: this.sizeAt(i) };
    const md5 = this.md5At(i);
    if (md5 !== undefined) entry.md5 = md5;
    return entry;
  }

  /** The listed MD5 of entry `i`, if the listing gave one. */
  md5At(i: number): string | undefined {
    const kind = this.md5Kinds[i];
    return kind === MD5_IS_ETAG ? this.etagAt(i) : kind === MD5_OWN ? this.md5s.text(i) : undefined;
  }

  keyAt(i: number): string {
    return this.keys.text(i);
  }

  etagAt(i: number): string {
    return this.etags.text(i);
  }

  sizeAt(i: number): number {
    return this.sizes[i] as number;
  }

  get(key: string): IndexEntry | undefined {
    const i = this.find(Buffer.from(key));
    return i < 0 ? undefined : this.at(i);
  }

  /** `sha256:<hex>` over one "<key> <etag>\n" line per object, in key order (Flux's bucket revision). */
  revision(): string {
    const hash = createHash("sha256");
    // Lines are copied from the packed buffers into one chunk and hashed a chunk at a time, not a string a line.
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let used = 0;
    const put = (source: Buffer, start: number, end: number): void => {
      for (let at = start; at < end;) {
        if (used === chunk.length) {
          hash.update(chunk);
          used = 0;
        }
        const n = source.copy(chunk, used, at, Math.min(end, at + chunk.length - used));
        used += n;
        at += n;
      }
    };
    for (let i = 0; i < this.size; i++) {
      put(this.keys.bytes, this.keys.start(i), this.keys.end(i));
      put(SPACE, 0, 1);
      put(this.etags.bytes, this.etags.start(i), this.etags.end(i));
      put(NEWLINE, 0, 1);
    }
    hash.update(chunk.subarray(0, used));
    return `sha256:${hash.digest("hex")}`;
  }

  /** What changed from `previous` to this index (a merge of the two sorted lists). */
  diff(previous: ObjectIndex): IndexDiff {
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    let i = 0;
    let j = 0;
    while (i < this.size || j < previous.size) {
      const order =
        i >= this.size ? 1 : j >= previous.size ? -1 : compareAcross(this.keys, i, previous.keys, j);
      if (order < 0) added.push(this.keyAt(i++));
      else if (order > 0) removed.push(previous.keyAt(j++));
      else {
        if (!sameBytes(this.etags, i, previous.etags, j)) changed.push(this.keyAt(i));
        i++;
        j++;
      }
    }
    return { added, changed, removed };
  }

  /** @internal Appends entry `i`'s key, etag and MD5 bytes to a builder; returns its MD5 kind. */
  copyTo(builder: ObjectIndexBuilder, i: number): number {
    builder.keys.pushBytes(this.keys.bytes, this.keys.start(i), this.keys.end(i));
    builder.etags.pushBytes(this.etags.bytes, this.etags.start(i), this.etags.end(i));
    builder.md5s.pushBytes(this.md5s.bytes, this.md5s.start(i), this.md5s.end(i));
    return this.md5Kinds[i] as number;
  }

  /** Position of the first entry whose key bytes are not below `key` (size when there is none). */
  lowerBound(key: Buffer): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.keys.bytes.compare(key, 0, key.length, this.keys.start(mid), this.keys.end(mid));
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether entry `i`'s key is exactly these bytes. */
  keyEquals(i: number, key: Buffer): boolean {
    return this.keys.bytes.compare(key, 0, key.length, this.keys.start(i), this.keys.end(i)) === 0;
  }

  /** @internal The packed arrays themselves (no copy), for persisting the index (source/scan-state). */
  packed(): PackedIndex {
    const part = (s: PackedStrings): PackedPart => ({
      bytes: s.bytes.subarray(0, s.used),
      ends: s.ends.subarray(0, s.length),
    });
    return {
      keys: part(this.keys),
      etags: part(this.etags),
      md5s: part(this.md5s),
      sizes: this.sizes,
      md5Kinds: this.md5Kinds,
    };
  }

  /**
   * @internal An index from the arrays `packed()` gave (taken over, not copied). Throws when they do not fit
   * together (lengths, offsets, MD5 kinds). The keys must be in order, as `packed()` gave them: not checked.
   */
  static fromPacked(parts: PackedIndex): ObjectIndex {
    const n = parts.sizes.length;
    const builder = new ObjectIndexBuilder();
    builder.keys.adopt(parts.keys, n, "keys");
    builder.etags.adopt(parts.etags, n, "etags");
    builder.md5s.adopt(parts.md5s, n, "md5s");
    if (parts.md5Kinds.length !== n) throw new Error("packed index: md5 kinds of another length");
    for (const kind of parts.md5Kinds) {
      if (kind > MD5_OWN) throw new Error(`packed index: unknown md5 kind ${kind}`);
    }
    builder.sizes = parts.sizes;
    builder.md5Kinds = parts.md5Kinds;
    builder.inOrder = true;
    return new ObjectIndex(builder);
  }

  /** Position of the (first) entry with these key bytes, or -1. */
  private find(key: Buffer): number {
    const lo = this.lowerBound(key);
    if (lo < this.size) {
      const start = this.keys.start(lo);
      const end = this.keys.end(lo);
      if (this.keys.bytes.compare(key, 0, key.length, start, end) === 0) return lo;
    }
    return -1;
  }
}

const SPACE = Buffer.from(" ");
const NEWLINE = Buffer.from("\n");

function compareAcross(a: PackedStrings, i: number, b: PackedStrings, j: number): number {
  return a.bytes.compare(b.bytes, b.start(j), b.end(j), a.start(i), a.end(i));
}

function sameBytes(a: PackedStrings, i: number, b: PackedStrings, j: number): boolean {
  return compareAcross(a, i, b, j) === 0;
}

/**
 * The positions of `keys` in UTF-8 byte order (ties in insertion order), or undefined when they are in order
 * already (listings usually are: S3 lists in that order). Compares ranges of the packed buffer, no copies.
 */
function sortedOrder(keys: PackedStrings): Uint32Array | undefined {
  const n = keys.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (compareAcross(keys, i - 1, keys, i) > 0) sorted = false;
  if (sorted) return undefined;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => compareAcross(keys, a, keys, b) || a - b);
}
