// An append-only pack file of the content cache: many small objects in one file, each at a reserved offset.
// Creating, renaming and closing a file per 4 KiB object cost more CPU than downloading it; a positional write into
// an open pack costs one syscall.
import { randomBytes } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { BodyCheck } from "./body-check.js";

export const PACK_PREFIX = "pack-";
export const PACK_SUFFIX = ".bin";

/** A pack being written by one cache instance; bodies are streamed to their reserved ranges concurrently. */
export class PackWriter {
  size = 0;
  private written = false;

  private constructor(
    readonly id: string,
    readonly file: string,
    private readonly fh: FileHandle,
  ) {}

  /** Creates a new pack with a random name in `dir`. */
  static async create(dir: string): Promise<PackWriter> {
    const id = `${PACK_PREFIX}${randomBytes(8).toString("hex")}${PACK_SUFFIX}`;
    const file = path.join(dir, id);
    return new PackWriter(id, file, await open(file, "wx"));
  }

  /**
   * Streams `body` into a fresh range of exactly `size` bytes and returns its offset. Fails if the body is longer
   * or shorter than `size`, or `check` fails (the range is then garbage, reclaimed by compaction).
   */
  async append(body: Readable, size: number, check?: BodyCheck): Promise<number> {
    const offset = this.size;
    this.size += size;
    this.written = true;
    let position = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      check?.update(chunk);
      if (position + chunk.length > size) {
        body.destroy();
        throw sizeMismatch(size, `more than ${size}`);
      }
      await this.fh.write(chunk, 0, chunk.length, offset + position);
      position += chunk.length;
    }
    check?.end();
    if (position !== size) throw sizeMismatch(size, String(position));
    return offset;
  }

  /** Copies `length` bytes at `offset` of another pack into a fresh range of this one; returns the new offset. */
  async copyFrom(source: FileHandle, offset: number, length: number, buf: Buffer): Promise<number> {
    const start = this.size;
    this.size += length;
    this.written = true;
    for (let done = 0; done < length;) {
      const want = Math.min(buf.length, length - done);
      const { bytesRead } = await source.read(buf, 0, want, offset + done);
      if (bytesRead === 0) throw new Error(`cache pack is shorter than its index (${offset + done})`);
      await this.fh.write(buf, 0, bytesRead, start + done);
      done += bytesRead;
    }
    return start;
  }

  /** Makes the written bytes durable (before an index that points at them is saved) and closes the file. */
  async close(): Promise<void> {
    if (this.written) await this.fh.datasync();
    await this.fh.close();
  }
}

function sizeMismatch(expected: number, got: string): Error {
  return new Error(`object body has ${got} bytes, the listing said ${expected}`);
}
