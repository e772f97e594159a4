// S3 PutObject (plain, If-None-Match: *, If-Match) and DeleteObject, through the SDK (path-style or virtual-host
// endpoints exactly as the provider's reads): the fast GET path is for GETs only.
import { DeleteObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { attemptSignal, sizedBody } from "./write-body.js";
import { withRetries } from "./write-retry.js";
import {
  md5FromEtag,
  ProviderError,
  unquoteEtag,
  type BucketWriter,
  type ObjectInfo,
  type PutOptions,
  type RequestCounts,
} from "./types.js";

export interface S3WriterOptions {
  /** A client that does not retry (maxAttempts 1): a retry needs a fresh body, which withRetries opens. */
  client: () => S3Client;
  bucket: string;
  requests: RequestCounts;
  /** The provider's classification of every other failure. */
  classify: (error: unknown, what: string) => ProviderError;
}

/**
 * put and delete for one bucket. A failed condition answers 412 PreconditionFailed (409 ConditionalRequestConflict
 * while another conditional write to the key is in flight; 404 NoSuchKey for If-Match on a missing key): all are
 * Conflict. The new object's record carries the PutObject ETag, as a listing shows it; no lastModified (PutObject
 * does not answer one).
 */
export function createS3Writer(options: S3WriterOptions): BucketWriter {
  const { bucket: Bucket, requests } = options;
  return {
    put(key, body, size, put: PutOptions = {}): Promise<ObjectInfo> {
      const what = `put s3://${Bucket}/${key}`;
      const conditional = put.ifNoneExists === true || put.ifMatch !== undefined;
      if (put.ifNoneExists === true && put.ifMatch !== undefined)
        return Promise.reject(
          new ProviderError("Invalid", `${what}: ifMatch and ifNoneExists exclude each other`),
        );
      requests.put++; // once a call, as reads are counted (whatever the retries)
      return withRetries(async () => {
        const attempt = attemptSignal(put.signal);
        const sized = sizedBody(body, size, what, attempt.abort);
        try {
          const out = await options.client().send(
            new PutObjectCommand({
              Bucket,
              Key: key,
              Body: sized.body,
              ContentLength: size,
              ContentType: put.contentType,
              IfNoneMatch: put.ifNoneExists === true ? "*" : undefined,
              IfMatch: put.ifMatch === undefined ? undefined : `"${put.ifMatch}"`,
            }),
            { abortSignal: attempt.signal },
          );
          const info: ObjectInfo = { key, etag: unquoteEtag(out.ETag ?? ""), size };
          const md5 = md5FromEtag(info.etag);
          if (md5 !== undefined) info.md5 = md5;
          return info;
        } catch (error) {
          throw (
            sized.failure() ??
            (conditional ? conflict(error, what) : undefined) ??
            options.classify(error, what)
          );
        } finally {
          sized.dispose();
        }
      }, put.signal);
    },
    delete(key, signal): Promise<void> {
      const what = `delete s3://${Bucket}/${key}`;
      // DeleteObject of a missing key answers 204: nothing to tell apart.
      requests.delete++;
      return withRetries(async () => {
        try {
          await options.client().send(new DeleteObjectCommand({ Bucket, Key: key }), { abortSignal: signal });
        } catch (error) {
          throw options.classify(error, what);
        }
      }, signal);
    },
  };
}

function conflict(error: unknown, what: string): ProviderError | undefined {
  if (!(error instanceof S3ServiceException)) return undefined;
  const status = error.$metadata.httpStatusCode;
  if (status === 412 || status === 409 || error.name === "NoSuchKey")
    return new ProviderError("Conflict", `${what}: the write condition does not hold (${error.name})`, {
      cause: error,
    });
  return undefined;
}
