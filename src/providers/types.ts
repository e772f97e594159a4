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
  /**
   * A past version of the object (ObjectVersion.versionId: S3 versionId, GCS generation, Azure versionId) instead
   * of the live one; with `etag` the version must also have that etag (S3, Azure: If-Match; GCS: a generation's
   * bytes never change, the generation alone pins them). A version that does not exist is NotFound; an id that is
   * not one of the provider's (a GCS generation must be decimal) is Invalid.
   */
  versionId?: string;
  signal?: AbortSignal;
}

/**
 * One entry of a versioned listing (BucketProvider.listVersions): a version of an object, or a delete marker.
 *
 * State at a time T: for each key, its newest entry (listing order) with `lastModified <= T`; the key exists at T
 * with that version's etag/size/md5 unless that entry is a delete marker (or there is none). Every provider's
 * entries are built so that this one rule holds:
 * - S3: versions and delete markers exactly as ListObjectVersions gives them (a version's LastModified is when
 *   it was written, i.e. became the current one).
 * - GCS has no delete markers: each generation is a version at its timeCreated, and a deletion (a generation's
 *   timeDeleted with no newer generation created by then: the key deleted now, or deleted and later re-created)
 *   is synthesized as a delete marker at that timeDeleted, versionId `<generation>-deleted`.
 * - Azure: each version at its versionId timestamp; a blob without any current version was deleted at a time
 *   Azure does not record, so its marker (versionId `<newest version>-deleted`) is placed at the time of the
 *   listing (the latest it can be). A blob written before versioning was on is version "null".
 * A delete marker has etag "" and size 0, and is never passed to get.
 */
export interface ObjectVersion {
  key: string;
  /** S3 versionId, GCS generation, Azure versionId: what `get(key, {versionId})` takes (not for delete markers). */
  versionId: string;
  /** When this version became the live one (for a delete marker: when the key was deleted). */
  lastModified: Date;
  /** A delete marker: from lastModified on, the key does not exist (until a newer version). */
  deleteMarker: boolean;
  /**
   * As ObjectInfo.etag, by the same rules as list: the etag the object had while this version was live (so its
   * index line, and the revision of a state, is the one it had then). "" for a delete marker.
   */
  etag: string;
  size: number;
  /** As ObjectInfo.md5: by the same rules as list (S3 single-part ETag, GCS md5Hash, Azure Content-MD5). */
  md5?: string;
}

/** Whether a bucket keeps past versions: "suspended" keeps those it has, "disabled" none. */
export type VersioningState = "enabled" | "suspended" | "disabled";

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
  /**
   * The bucket's versioning state: S3 GetBucketVersioning (Enabled, Suspended, no Status = "disabled"); GCS bucket
   * metadata `versioning.enabled` ("enabled", else "disabled": GCS has no suspended state); Azure, where
   * versioning is an account setting the data plane does not show per container, "enabled" when the first page
   * of a versioned listing carries version ids, else "disabled" (an empty container is "disabled"); file://
   * "disabled". Counted in requests.list. Fails like list.
   */
  versioning(signal?: AbortSignal): Promise<VersioningState>;
  /**
   * Every version and delete marker under `prefix`, paginated, keys ascending (as list orders them) and newest
   * first within a key; see ObjectVersion for how the state of the prefix at a time T follows from the entries.
   * Asks versioning() first and throws ProviderError "NotVersioned" when it is "disabled" (S3: never enabled; GCS:
   * not enabled now; Azure: no version ids; file:// always), before yielding anything: a bucket without history
   * is never silently listed as its latest state. Pages are counted in requests.list; fails otherwise like list.
   */
  listVersions(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectVersion>;
  readonly requests: RequestCounts;
  close(): void;
}

export interface PutOptions {
  /**
   * Write only if the object exists with this etag, as list/stat/put gave it (ObjectInfo.etag, on every provider).
   * S3 and Azure send it as If-Match; GCS has no etag precondition on uploads and sends ifGenerationMatch with the
   * generation the provider saw with that etag (ObjectInfo.versionId of its listing/stat/put; a stat first when it
   * has not seen the etag); file:// compares, then renames (not atomic against another writer).
   */
  ifMatch?: string;
  /**
   * Write only if no object exists under the key: S3 If-None-Match "*", GCS ifGenerationMatch=0, Azure
   * If-None-Match "*", file:// link(2) of the written temp file. Excludes ifMatch (Invalid if both are given).
   */
  ifNoneExists?: boolean;
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * What `push` and chart publishing need besides reading: uploads (optionally conditional) and deletions, counted
 * in requests.put / requests.delete. A failed condition is a ProviderError of kind "Conflict" (whatever the service
 * answered: 412, 409 or 404); a body of another size than announced is "Invalid"; errors are otherwise classified
 * as for reads. Transient failures are retried a few times; a write whose answer was lost may then meet its own
 * condition (Conflict although it was written: stat tells).
 */
export interface BucketWriter {
  /**
   * Uploads `body` under `key` in one request: a Buffer, or a factory of a stream (called again for each
   * attempt) of exactly `size` bytes. Resolves with the new object's record as the listing will show it (etag,
   * size, md5 where the listing has one, versionId where it sets one; lastModified where the answer carries it,
   * not on S3).
   */
  put(key: string, body: Buffer | (() => Readable), size: number, options?: PutOptions): Promise<ObjectInfo>;
  /** Deletes `key`; deleting a key that does not exist succeeds (on GCS a missing bucket too: both answer 404). */
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
  | "Conflict"
  /** A version-history request on a bucket that keeps no versions. */
  | "NotVersioned";

export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly kind: ProviderErrorKind;
  constructor(kind: ProviderErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** The NotVersioned error of listVersions on a bucket that keeps no versions; `why` says what was seen. */
export function notVersioned(what: string, why: string): ProviderError {
  return new ProviderError(
    "NotVersioned",
    `${what}: the bucket keeps no versions (${why}); enable versioning`,
  );
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
