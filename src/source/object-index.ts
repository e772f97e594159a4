// The index (key → etag) of what a Bucket publishes, and its revision.
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

/** An immutable, key-sorted index. Keys sort by UTF-8 bytes, as Go's sort does, so revisions match Flux's. */
export class ObjectIndex {
  readonly entries: readonly IndexEntry[];
  private readonly byKey: ReadonlyMap<string, IndexEntry>;

  constructor(entries: Iterable<IndexEntry>) {
    const sorted = sortByUtf8([...entries], (e) => e.key);
    this.entries = sorted;
    this.byKey = new Map(sorted.map((e) => [e.key, e]));
  }

  get size(): number {
    return this.entries.length;
  }

  /** Total bytes of all objects. */
  get totalBytes(): number {
    return this.entries.reduce((sum, e) => sum + e.size, 0);
  }

  get(key: string): IndexEntry | undefined {
    return this.byKey.get(key);
  }

  /** `sha256:<hex>` over one "<key> <etag>\n" line per object, in key order (Flux's bucket revision). */
  revision(): string {
    const hash = createHash("sha256");
    for (const e of this.entries) hash.update(`${e.key} ${e.etag}\n`);
    return `sha256:${hash.digest("hex")}`;
  }

  /** What changed from `previous` to this index. */
  diff(previous: ObjectIndex): IndexDiff {
    const added: string[] = [];
    const changed: string[] = [];
    for (const e of this.entries) {
      const old = previous.get(e.key);
      if (!old) added.push(e.key);
      else if (old.etag !== e.etag) changed.push(e.key);
    }
    const removed = previous.entries.filter((e) => !this.byKey.has(e.key)).map((e) => e.key);
    return { added, changed, removed };
  }
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
