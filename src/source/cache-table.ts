// The content cache's table of entries, packed: a 32-byte digest, a pack number, an offset and a size per entry in
// typed arrays with an open-addressing hash over the digests (~60 bytes an entry, where a Map of hex names to
// objects cost ~250), and its binary file form (52 bytes an entry, written and read in chunks).
import { open } from "node:fs/promises";

/** Where one entry's bytes are: `pack` undefined for an object with a file of its own (named like the entry). */
export interface CacheEntry {
  pack: string | undefined;
  offset: number;
  size: number;
}

const DIGEST = 32;
const RECORD = DIGEST + 4 + 8 + 8;
const MAGIC = "bucketops-cache-2\n";
const CHUNK = 1024 * 1024;

/** A Map-like table from entry names (64 hex digits) to where their bytes are. */
export class CacheTable {
  private digests = Buffer.alloc(0);
  /** 0 = own file, n = packs[n - 1]. */
  private packNos = new Uint32Array(0);
  private offsets = new Float64Array(0);
  private sizes = new Float64Array(0);
  private live = new Uint8Array(0);
  /** Row + 1 per slot, 0 = empty; rows are never moved, a deleted row is revived by the next set of its name. */
  private slots = new Uint32Array(16);
  private rowCount = 0;
  private liveCount = 0;
  private readonly packs: string[] = [];
  private readonly packNumbers = new Map<string, number>();

  /** One more than the highest row number (for per-row marks). */
  get rowLimit(): number {
    return this.rowCount;
  }

  /** Live entries. */
  get size(): number {
    return this.liveCount;
  }

  has(name: string): boolean {
    return this.findRow(name) >= 0;
  }

  get(name: string): CacheEntry | undefined {
    const row = this.findRow(name);
    return row < 0 ? undefined : this.entryAt(row);
  }

  set(name: string, entry: CacheEntry): this {
    const digest = Buffer.from(name, "hex");
    if (digest.length !== DIGEST) throw new Error(`content cache entry name ${name} is not a sha256`);
    let row = this.rowOf(digest);
    if (row < 0) row = this.addRow(digest);
    if (!this.live[row]) this.liveCount++;
    this.live[row] = 1;
    this.packNos[row] = this.packNo(entry.pack);
    this.offsets[row] = entry.offset;
    this.sizes[row] = entry.size;
    return this;
  }

  delete(name: string): boolean {
    const row = this.findRow(name);
    if (row < 0) return false;
    this.deleteRow(row);
    return true;
  }

  /** Live rows (positions stay valid until the table is rebuilt by `load`). */
  *rows(): Generator<number> {
    for (let row = 0; row < this.rowCount; row++) if (this.live[row]) yield row;
  }

  /** Live entries as [name, entry], like a Map's iteration. */
  *[Symbol.iterator](): Generator<[string, CacheEntry]> {
    for (const row of this.rows()) yield [this.nameAt(row), this.entryAt(row)];
  }

  /** The row of a live entry, or -1. */
  findRow(name: string): number {
    const digest = Buffer.from(name, "hex");
    if (digest.length !== DIGEST) return -1;
    const row = this.rowOf(digest);
    return row >= 0 && this.live[row] ? row : -1;
  }

  nameAt(row: number): string {
    return this.digests.toString("hex", row * DIGEST, (row + 1) * DIGEST);
  }

  entryAt(row: number): CacheEntry {
    const no = this.packNos[row] as number;
    return {
      pack: no === 0 ? undefined : this.packs[no - 1],
      offset: this.offsets[row] as number,
      size: this.sizes[row] as number,
    };
  }

  packAt(row: number): string | undefined {
    const no = this.packNos[row] as number;
    return no === 0 ? undefined : this.packs[no - 1];
  }

  /** Points a row at a new place (compaction). */
  move(row: number, pack: string, offset: number): void {
    this.packNos[row] = this.packNo(pack);
    this.offsets[row] = offset;
  }

  deleteRow(row: number): void {
    if (this.live[row]) this.liveCount--;
    this.live[row] = 0;
  }

  /** Writes the live entries to `file` (replacing it) in chunks. */
  async write(file: string): Promise<void> {
    const fh = await open(file, "w");
    try {
      const head = Buffer.from(JSON.stringify(this.packs));
      const start = Buffer.alloc(MAGIC.length + 8);
      start.write(MAGIC, 0, "latin1");
      start.writeUInt32LE(head.length, MAGIC.length);
      start.writeUInt32LE(this.liveCount, MAGIC.length + 4);
      await fh.write(start);
      await fh.write(head);
      const chunk = Buffer.allocUnsafe(Math.floor(CHUNK / RECORD) * RECORD);
      let used = 0;
      for (const row of this.rows()) {
        if (used === chunk.length) {
          await fh.write(chunk, 0, used);
          used = 0;
        }
        this.digests.copy(chunk, used, row * DIGEST, (row + 1) * DIGEST);
        chunk.writeUInt32LE(this.packNos[row] as number, used + DIGEST);
        chunk.writeDoubleLE(this.offsets[row] as number, used + DIGEST + 4);
        chunk.writeDoubleLE(this.sizes[row] as number, used + DIGEST + 12);
        used += RECORD;
      }
      await fh.write(chunk, 0, used);
    } finally {
      await fh.close();
    }
  }

  /** Reads a table written by `write`; undefined when the file is missing, of another format or truncated. */
  static async read(file: string): Promise<CacheTable | undefined> {
    let fh;
    try {
      fh = await open(file, "r");
    } catch {
      return undefined;
    }
    try {
      const fileSize = (await fh.stat()).size;
      const start = Buffer.alloc(MAGIC.length + 8);
      await fh.read(start, 0, start.length, 0);
      if (start.toString("latin1", 0, MAGIC.length) !== MAGIC) return undefined;
      const headLength = start.readUInt32LE(MAGIC.length);
      const count = start.readUInt32LE(MAGIC.length + 4);
      if (fileSize !== start.length + headLength + count * RECORD) return undefined;
      const head = Buffer.alloc(headLength);
      await fh.read(head, 0, headLength, start.length);
      const packs = JSON.parse(head.toString("utf8")) as string[];
      const table = new CacheTable();
      table.reserve(count);
      const chunk = Buffer.allocUnsafe(Math.floor(CHUNK / RECORD) * RECORD);
      let position = start.length + headLength;
      for (let left = count; left > 0;) {
        const n = Math.min(left, chunk.length / RECORD);
        const { bytesRead } = await fh.read(chunk, 0, n * RECORD, position);
        if (bytesRead !== n * RECORD) return undefined;
        position += bytesRead;
        for (let r = 0; r < n; r++) {
          const at = r * RECORD;
          const no = chunk.readUInt32LE(at + DIGEST);
          if (no > packs.length) return undefined;
          const row = table.addRow(chunk.subarray(at, at + DIGEST));
          table.live[row] = 1;
          table.liveCount++;
          table.packNos[row] = no === 0 ? 0 : table.packNo(packs[no - 1]);
          table.offsets[row] = chunk.readDoubleLE(at + DIGEST + 4);
          table.sizes[row] = chunk.readDoubleLE(at + DIGEST + 12);
        }
        left -= n;
      }
      return table;
    } catch {
      return undefined;
    } finally {
      await fh.close();
    }
  }

  private packNo(pack: string | undefined): number {
    if (pack === undefined) return 0;
    let no = this.packNumbers.get(pack);
    if (no === undefined) {
      this.packs.push(pack);
      no = this.packs.length;
      this.packNumbers.set(pack, no);
    }
    return no;
  }

  private rowOf(digest: Buffer): number {
    const mask = this.slots.length - 1;
    for (let slot = digest.readUInt32LE(0) & mask; ; slot = (slot + 1) & mask) {
      const v = this.slots[slot] as number;
      if (v === 0) return -1;
      if (this.digests.compare(digest, 0, DIGEST, (v - 1) * DIGEST, v * DIGEST) === 0) return v - 1;
    }
  }

  private addRow(digest: Buffer): number {
    this.reserve(this.rowCount + 1);
    const row = this.rowCount++;
    digest.copy(this.digests, row * DIGEST, 0, DIGEST);
    this.insertSlot(row);
    return row;
  }

  private insertSlot(row: number): void {
    const mask = this.slots.length - 1;
    let slot = this.digests.readUInt32LE(row * DIGEST) & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = row + 1;
  }

  /** Grows the columns to hold `rows` rows and the hash to stay at most half full. */
  private reserve(rows: number): void {
    if (rows > this.live.length) {
      const capacity = Math.max(1024, rows, this.live.length * 2);
      const digests = Buffer.alloc(capacity * DIGEST);
      this.digests.copy(digests);
      this.digests = digests;
      this.packNos = grow(this.packNos, new Uint32Array(capacity));
      this.offsets = grow(this.offsets, new Float64Array(capacity));
      this.sizes = grow(this.sizes, new Float64Array(capacity));
      this.live = grow(this.live, new Uint8Array(capacity));
    }
    if (rows * 2 > this.slots.length) {
      let size = this.slots.length;
      while (rows * 2 > size) size *= 2;
      this.slots = new Uint32Array(size);
      for (let row = 0; row < this.rowCount; row++) this.insertSlot(row);
    }
  }
}

function grow<T extends Uint32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
