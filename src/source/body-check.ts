// Checks an object body while it streams through: its length against the listed size and, where the provider
// listed one, its MD5. Nothing is buffered and nothing is read twice; a body that fails is never cached.
import { createHash, type Hash } from "node:crypto";
import { pipeline, Transform, type Readable, type TransformCallback } from "node:stream";
import { listedMd5Applies, ProviderError } from "../providers/types.js";

/** What the listing says one object's body is. */
export interface ExpectedBody {
  key: string;
  size: number;
  /** Lowercase hex MD5 of the body, when the provider lists one (see ObjectInfo.md5). */
  md5?: string | undefined;
}

/** Counts and hashes the bytes passing through; errors when they are more than, or end short of, `expected`. */
export class BodyCheck extends Transform {
  private bytes = 0;
  private readonly hash: Hash | undefined;

  constructor(private readonly expected: ExpectedBody) {
    super();
    this.hash = expected.md5 === undefined ? undefined : createHash("md5");
  }

  /** Body bytes that have passed so far. */
  get bytesPassed(): number {
    return this.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    // Fail as soon as the body is too long: a wrong body is not worth downloading to its end.
    if (this.bytes > this.expected.size) {
      callback(mismatch(this.expected.key, "size", this.expected.size, `more than ${this.expected.size}`));
      return;
    }
    this.hash?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const { key, size, md5 } = this.expected;
    if (this.bytes !== size) {
      callback(mismatch(key, "size", size, String(this.bytes)));
      return;
    }
    const actual = this.hash?.digest("hex");
    if (actual !== undefined && actual !== md5) {
      callback(mismatch(key, "MD5", md5 ?? "", actual));
      return;
    }
    callback();
  }
}

/**
 * `body` (as `get` returned it) passed through a BodyCheck: read it to its end to have it checked. The MD5 is left
 * out where the provider marked the body as not described by it. The returned stream fails with a Transient
 * ProviderError (retried like a network error) when the body differs from `expected`, and with the body's own
 * error when that fails; destroying it destroys `body`.
 */
export function checkedBody(body: Readable, expected: ExpectedBody): Readable {
  const md5 = listedMd5Applies(body) ? expected.md5 : undefined;
  const check = new BodyCheck({ key: expected.key, size: expected.size, md5 });
  // A body that breaks off says only "aborted" or "ECONNRESET": name the object and how far it got. Registered
  // before pipeline's own listener, so this error is the one the reader of `check` sees.
  body.once("error", (error: Error) => {
    if (error instanceof ProviderError) return;
    const message = `object ${JSON.stringify(expected.key)}: body broke off after ${check.bytesPassed} of ${expected.size} bytes: ${error.message}`;
    check.destroy(new ProviderError("Transient", message, { cause: error }));
  });
  // pipeline destroys each stream with the first error of either, so the reader of `check` sees it.
  pipeline(body, check, () => undefined);
  return check;
}

function mismatch(
  key: string,
  what: "size" | "MD5",
  expected: number | string,
  actual: string,
): ProviderError {
  const unit = what === "size" ? " bytes" : "";
  return new ProviderError(
    "Transient",
    `object ${JSON.stringify(key)}: body ${what} ${actual}${unit} does not match the listing's ${expected}${unit}`,
  );
}
