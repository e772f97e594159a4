// Checks an object body while it is written to the cache: its length against the listed size and, where the
// provider listed one, its MD5. The writer hands it each chunk (no extra stream, no buffering, no second read);
// a body that fails is never recorded.
import { createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { listedMd5Applies, ProviderError } from "../providers/types.js";

/** What the listing says one object's body is. */
export interface ExpectedBody {
  key: string;
  size: number;
  /** Lowercase hex MD5 of the body, when the provider lists one (see ObjectInfo.md5). */
  md5?: string | undefined;
}

/**
 * The check of one body: `update` with every chunk as it is written (throws once the body is longer than
 * listed), `end` after the last (throws if shorter, or if the MD5 differs). Its errors are Transient
 * ProviderErrors naming the key, the listed and the actual value, so the fetch retries them.
 */
export class BodyCheck {
  /** Body bytes seen so far. */
  bytes = 0;
  private readonly hash: Hash | undefined;
  private bodyError: unknown;

  /**
   * Checks `body` (as `get` returned it) against `expected`; the MD5 is left out where the provider marked the
   * body as not described by it (see markListedMd5Void).
   */
  constructor(
    body: Readable,
    private readonly expected: ExpectedBody,
  ) {
    this.hash = expected.md5 !== undefined && listedMd5Applies(body) ? createHash("md5") : undefined;
    body.once("error", (error: unknown) => (this.bodyError = error));
  }

  update(chunk: Buffer): void {
    this.bytes += chunk.length;
    // Fail as soon as the body is too long: a wrong body is not worth downloading to its end.
    if (this.bytes > this.expected.size) {
      throw mismatch(this.expected.key, "size", this.expected.size, `more than ${this.expected.size}`);
    }
    this.hash?.update(chunk);
  }

  end(): void {
    const { key, size, md5 } = this.expected;
    if (this.bytes !== size) throw mismatch(key, "size", size, String(this.bytes));
    const actual = this.hash?.digest("hex");
    if (actual !== undefined && actual !== md5) throw mismatch(key, "MD5", md5 ?? "", actual);
  }

  /**
   * `error` as the fetch should report it: the body's own failure (a reset, a cut with Content-Length, which
   * only say "aborted" or "ECONNRESET") becomes a Transient ProviderError naming the object and how far it got.
   */
  explain(error: unknown): unknown {
    if (error !== this.bodyError || error instanceof ProviderError) return error;
    const detail = error instanceof Error ? error.message : String(error);
    return new ProviderError(
      "Transient",
      `object ${JSON.stringify(this.expected.key)}: body broke off after ${this.bytes} of ${this.expected.size} bytes: ${detail}`,
      { cause: error },
    );
  }
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
