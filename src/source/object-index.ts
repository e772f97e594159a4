// The index (key → etag) of what a Bucket publishes, and its revision.
import { createHash } from "node:crypto";

export interface IndexEntry {
  key: string;
  etag: string;
  size: number;
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
    const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
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
