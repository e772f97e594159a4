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
  /**
   * Lowercase hex MD5 of the body when the listing gives one (S3 single-part ETag, GCS md5Hash, Azure
   * Content-MD5): the fetch checks each body against it while streaming.
   */
  md5?: string;
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
  /** HEAD (or metadata GET) requests of stat(). */
  head: number;
  /** Uploads and deletions of a BucketWriter. */
  put: number;
  delete: number;
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
  /**
   * One object's listing record by a metadata request (S3 HEAD, GCS metadata GET, Azure getProperties, file
   * lstat): the same key, etag, size, md5 and versionId `list` would yield for it, or undefined when the key does
   * not exist (nor is listed: file:// symlinks and folders). What an event-driven reconcile asks instead of a LIST.
   * (S3's lastModified is to the second: HEAD answers an HTTP date where a listing may give milliseconds.)
   * Fails like list: BucketNotFound, Unauthorized, Transient. Where a 404 does not tell a missing key from a missing
   * bucket (S3 HEAD, GCS) the missing case costs one more request (HeadBucket; a one-key GCS listing), counted in
   * requests.head.
   */
  stat(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined>;
  readonly requests: RequestCounts;
  close(): void;
}

export interface PutOptions {
  /** Write only if the object's current etag (S3/Azure) or generation (GCS, see ObjectInfo.versionId) matches. */
  ifMatch?: string;
  /** Write only if no object exists under the key. */
  ifNoneExists?: boolean;
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * What `push` and chart publishing need besides reading: uploads (optionally conditional) and deletions. A
 * failed condition is a ProviderError of kind "Conflict".
 */
export interface BucketWriter {
  /** Uploads `body` (exactly `size` bytes) under `key`; resolves with the new object's listing record. */
  put(key: string, body: Buffer | (() => Readable), size: number, options?: PutOptions): Promise<ObjectInfo>;
  /** Deletes `key`; deleting a key that does not exist succeeds. */
  delete(key: string, signal?: AbortSignal): Promise<void>;
}

/**
 * How to treat a provider failure: BucketNotFound and Unauthorized need the user to act,
 * Transient may succeed on retry, NotFound is about one object, Conflict is a failed write condition.
 */
export type ProviderErrorKind =
  | "BucketNotFound"
  | "Unauthorized"
  | "NotFound"
  | "Transient"
  | "Invalid"
  /** A conditional write whose condition no longer holds (someone else wrote first). */
  | "Conflict";

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

/** Lowercase hex MD5 of `etag` when it is one: a single-part S3 ETag (32 hex digits, no "-N" part count). */
export function md5FromEtag(etag: string): string | undefined {
  if (!/^[0-9a-fA-F]{32}$/.test(etag)) return undefined;
  return /[A-F]/.test(etag) ? etag.toLowerCase() : etag; // the same string: no copy per listed object
}

/** Lowercase hex of a base64 digest as GCS and Azure list them; undefined for anything that is not 16 bytes. */
export function md5FromBase64(value: string | Uint8Array | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bytes = typeof value === "string" ? Buffer.from(value, "base64") : Buffer.from(value);
  return bytes.length === 16 ? bytes.toString("hex") : undefined;
}

const listedMd5Void = new WeakSet<Readable>();

/**
 * Marks a body whose listed MD5 does not describe its bytes, as the provider learnt from the response (an S3
 * SSE-KMS or SSE-C object's ETag is not the MD5 of its content). Returns `body`.
 */
export function markListedMd5Void(body: Readable): Readable {
  listedMd5Void.add(body);
  return body;
}

/** Whether a body returned by `get` may be checked against the MD5 of its listing (see markListedMd5Void). */
export function listedMd5Applies(body: Readable): boolean {
  return !listedMd5Void.has(body);
}
