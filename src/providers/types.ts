// The one interface every bucket provider implements, and the errors they raise.
import type { Readable } from "node:stream";

/** One object as listed: the key is untrusted input until the source stage has checked it. */
export interface ObjectInfo {
  key: string;
  /** Unquoted entity tag (or an equivalent content version). */
  etag: string;
  size: number;
  lastModified?: Date;
  versionId?: string;
}

export interface GetOptions {
  /** Only return the body if the object still has this etag (else a Transient "changed" error). */
  etag?: string;
  signal?: AbortSignal;
}

/** Request counters, for status, metrics and the benchmark. */
export interface RequestCounts {
  list: number;
  get: number;
}

/** How a provider's HTTP client is sized and bounded; the same knobs for every cloud. */
export interface ProviderTuning {
  /** Per-request timeout (until the response headers). */
  requestTimeoutMs: number;
  /** Sockets per host; sized for many small parallel GETs. */
  maxSockets: number;
}

export interface BucketProvider {
  /** Lists every object under `prefix`, page by page, in the provider's order. */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo>;
  /** Streams one object's body. */
  get(key: string, options?: GetOptions): Promise<Readable>;
  readonly requests: RequestCounts;
  close(): void;
}

/**
 * How to treat a provider failure: BucketNotFound and Unauthorized need the user to act,
 * Transient may succeed on retry, NotFound is about one object.
 */
export type ProviderErrorKind = "BucketNotFound" | "Unauthorized" | "NotFound" | "Transient" | "Invalid";

export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly kind: ProviderErrorKind;
  constructor(kind: ProviderErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** Removes the quotes S3 and Azure put around etags so every provider indexes the same form. */
export function unquoteEtag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}
