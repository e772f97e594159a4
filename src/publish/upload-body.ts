// The body of one upload, read from disk on every attempt and checked against the digest the plan recorded: the
// index never names a sha256 other than the bytes that were sent.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import type { DigestedFile } from "./file-digest.js";

/** A file changed between hashing and upload: the push stops, since the index would describe other bytes. */
export class FileChangedError extends Error {
  override readonly name = "FileChangedError";
}

export interface UploadBody {
  /** What BucketWriter.put takes: a fresh stream of exactly the planned bytes per attempt. */
  body: Buffer | (() => Readable);
  /** Throws FileChangedError when the last attempt's bytes were not the planned ones. */
  check(): void;
}

/** The upload body of `file`: streamed (a 64 KiB window at a time), never held whole in memory. */
export function uploadBody(file: DigestedFile): UploadBody {
  if (file.size === 0) return { body: Buffer.alloc(0), check: () => undefined };
  let attempt: DigestCheck | undefined;
  return {
    body: (): Readable => {
      // One byte past the planned size is read, so a file that grew is seen as changed.
      const source = createReadStream(file.source, { start: 0, end: file.size });
      const check = new DigestCheck(file);
      attempt = check;
      source.on("error", (error) => check.destroy(error));
      return source.pipe(check);
    },
    check(): void {
      if (attempt?.problem !== undefined) throw attempt.problem;
    },
  };
}

/** Passes the bytes through, hashing them; fails the stream as soon as they are not the planned ones. */
class DigestCheck extends Transform {
  problem: FileChangedError | undefined;
  private readonly hash = createHash("sha256");
  private bytes = 0;
  constructor(private readonly file: DigestedFile) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.file.size) {
      callback(this.fail("it is now larger"));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    if (this.bytes !== this.file.size) callback(this.fail(`it is now ${this.bytes} bytes`));
    else if (this.hash.digest("hex") !== this.file.sha256) callback(this.fail("its content differs"));
    else callback();
  }
  private fail(why: string): FileChangedError {
    const { key, size, sha256 } = this.file;
    this.problem = new FileChangedError(
      `${key} changed while it was being pushed (hashed: ${size} bytes, sha256 ${sha256.slice(0, 12)}…; ${why}); the index was not written: run push again once the folder is still`,
    );
    return this.problem;
  }
}
