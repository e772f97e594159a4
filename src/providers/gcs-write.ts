// GCS uploads (one multipart request, preconditions ifGenerationMatch) and deletions through @google-cloud/storage.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Bucket, File, PreconditionOptions } from "@google-cloud/storage";
import { sizedBody } from "./write-body.js";
import { withRetries } from "./write-retry.js";
import {
  ProviderError,
  type BucketWriter,
  type ObjectInfo,
  type PutOptions,
  type RequestCounts,
} from "./types.js";

/** What the provider saw of a key (listing, stat, write): its etag and generation. */
export interface SeenObject {
  etag: string;
  generation?: string | undefined;
}

export interface GcsWriterOptions {
  bucket: Bucket;
  bucketName: string;
  requests: RequestCounts;
  /** key → what the provider last saw of it; writes keep it current (a later get downloads what was written). */
  seen: Map<string, SeenObject>;
  /** Resolves once requests may be sent (an access token, when authenticating); rejects when `signal` aborts. */
  ready(signal: AbortSignal | undefined): Promise<void>;
  /** `promise`, rejected as soon as `signal` aborts (the library's calls take no signal). */
  abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T>;
  stat(key: string, signal: AbortSignal | undefined): Promise<ObjectInfo | undefined>;
  toInfo(file: File): ObjectInfo;
  /** The provider's classification; "put" maps 412 (a failed precondition) to Conflict. */
  classify(error: unknown, what: string, op: "put" | "delete"): ProviderError;
}

/**
 * put and delete for one bucket. ifNoneExists is ifGenerationMatch=0. ifMatch takes the etag that list/stat gave
 * (as for every provider): GCS has no etag precondition on uploads, so it becomes ifGenerationMatch with the
 * generation seen with that etag (ObjectInfo.versionId of the listing or stat), or, when the provider has not seen
 * that etag, one stat first (a missing object or another etag: Conflict without an upload). A 412 is Conflict.
 * Delete ignores 404 (a missing key, but also a missing bucket).
 */
export function createGcsWriter(options: GcsWriterOptions): BucketWriter {
  const { bucket, bucketName, requests, seen } = options;

  async function generationOf(
    key: string,
    etag: string,
    what: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const known = seen.get(key);
    if (known?.etag === etag && known.generation !== undefined) return known.generation;
    const current = await options.stat(key, signal);
    if (current?.etag !== etag)
      throw new ProviderError(
        "Conflict",
        `${what}: the write condition does not hold (${current ? "another etag" : "no such object"})`,
      );
    if (current.versionId === undefined)
      throw new ProviderError(
        "Invalid",
        `${what}: the server lists no generation to make the write conditional on`,
      );
    return current.versionId;
  }

  return {
    async put(key, body, size, put: PutOptions = {}): Promise<ObjectInfo> {
      const what = `put gs://${bucketName}/${key}`;
      if (put.ifNoneExists === true && put.ifMatch !== undefined)
        throw new ProviderError("Invalid", `${what}: ifMatch and ifNoneExists exclude each other`);
      const preconditionOpts: PreconditionOptions | undefined =
        put.ifNoneExists === true
          ? { ifGenerationMatch: 0 }
          : put.ifMatch !== undefined
            ? { ifGenerationMatch: await generationOf(key, put.ifMatch, what, put.signal) }
            : undefined;
      requests.put++; // once a call, as reads are counted (whatever the retries)
      return withRetries(async () => {
        const sized = sizedBody(body, size, what);
        try {
          await options.ready(put.signal);
          const file = bucket.file(key);
          // resumable: false sends one multipart request (no retries of its own); gzip off keeps the stored bytes
          // (and the listed size) those of the body.
          const upload = file.createWriteStream({
            resumable: false,
            gzip: false,
            ...(put.contentType === undefined ? {} : { contentType: put.contentType }),
            ...(preconditionOpts ? { preconditionOpts } : {}),
          });
          const source = Buffer.isBuffer(sized.body)
            ? Readable.from(size === 0 ? [] : [sized.body])
            : sized.body;
          await pipeline(source, upload, { signal: put.signal });
          const info = options.toInfo(file); // the upload's answer is the object's resource
          seen.set(key, { etag: info.etag, generation: info.versionId });
          return info;
        } catch (error) {
          throw sized.failure() ?? options.classify(error, what, "put");
        } finally {
          sized.dispose();
        }
      }, put.signal);
    },
    async delete(key, signal): Promise<void> {
      const what = `delete gs://${bucketName}/${key}`;
      requests.delete++;
      try {
        await options.ready(signal);
        await options.abortable(bucket.file(key).delete({ ignoreNotFound: true }), signal);
        seen.delete(key);
      } catch (error) {
        throw options.classify(error, what, "delete");
      }
    },
  };
}
