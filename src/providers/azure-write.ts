// Azure Put Blob (one request; conditions ifNoneMatch "*" / ifMatch) and Delete Blob, through @azure/storage-blob.
import type { Readable } from "node:stream";
import { RestError, type ContainerClient } from "@azure/storage-blob";
import { attemptSignal, sizedBody, type SizedBody } from "./write-body.js";
import {
  md5FromBase64,
  ProviderError,
  unquoteEtag,
  type BucketWriter,
  type ObjectInfo,
  type PutOptions,
  type RequestCounts,
} from "./types.js";

/** The largest body one Put Blob takes (service versions from 2019-12-12); larger ones would need blocks. */
export const AZURE_MAX_PUT_BLOB = 5000 * 1024 * 1024;

export interface AzureWriterOptions {
  container: ContainerClient;
  /** `<endpoint>/<container>`, for messages. */
  where: string;
  requests: RequestCounts;
  /** The provider's classification of every other failure. */
  classify: (error: unknown, what: string) => ProviderError;
  /** The storage error code of a RestError (body or x-ms-error-code). */
  storageCode: (error: RestError) => string | undefined;
}

/**
 * put and delete for one container. put is one Put Blob request, so the service stores the body's Content-MD5
 * (which the listing then shows, as for uploads by other tools); the client's retry policy calls a stream factory
 * again per attempt. A failed condition answers 409 BlobAlreadyExists (ifNoneMatch "*"), 412 ConditionNotMet
 * (ifMatch) or 404 BlobNotFound (ifMatch on a missing blob): all are Conflict. delete is deleteIfExists with its
 * snapshots.
 */
export function createAzureWriter(options: AzureWriterOptions): BucketWriter {
  const { container, where, requests } = options;
  return {
    async put(key, body, size, put: PutOptions = {}): Promise<ObjectInfo> {
      const what = `put ${where}/${key}`;
      if (put.ifNoneExists === true && put.ifMatch !== undefined)
        throw new ProviderError("Invalid", `${what}: ifMatch and ifNoneExists exclude each other`);
      if (size > AZURE_MAX_PUT_BLOB)
        throw new ProviderError(
          "Invalid",
          `${what}: ${size} bytes is over the ${AZURE_MAX_PUT_BLOB}-byte Put Blob limit`,
        );
      const conditional = put.ifNoneExists === true || put.ifMatch !== undefined;
      requests.put++;
      // A failed body aborts the upload, retries included: another attempt would not change its size.
      const upload = attemptSignal(put.signal);
      const attempts: SizedBody[] = []; // one per try of the client's retry policy
      const data = Buffer.isBuffer(body)
        ? (sizedBody(body, size, what).body as Buffer)
        : (): Readable => {
            const attempt = sizedBody(body, size, what, upload.abort);
            attempts.push(attempt);
            return attempt.body as Readable;
          };
      try {
        const out = await container.getBlockBlobClient(key).upload(data, size, {
          abortSignal: upload.signal,
          ...(put.contentType === undefined ? {} : { blobHTTPHeaders: { blobContentType: put.contentType } }),
          conditions:
            put.ifNoneExists === true
              ? { ifNoneMatch: "*" }
              : put.ifMatch !== undefined
                ? { ifMatch: `"${put.ifMatch}"` }
                : undefined,
        });
        const info: ObjectInfo = { key, etag: unquoteEtag(out.etag ?? ""), size };
        if (out.lastModified !== undefined) info.lastModified = out.lastModified;
        if (out.versionId !== undefined) info.versionId = out.versionId;
        const md5 = md5FromBase64(out.contentMD5);
        if (md5 !== undefined) info.md5 = md5;
        return info;
      } catch (error) {
        throw (
          attempts.map((a) => a.failure()).find((f) => f !== undefined) ??
          (conditional ? conflict(error, what, options) : undefined) ??
          options.classify(error, what)
        );
      } finally {
        for (const attempt of attempts) attempt.dispose();
      }
    },
    async delete(key, signal): Promise<void> {
      const what = `delete ${where}/${key}`;
      requests.delete++;
      try {
        await container
          .getBlobClient(key)
          .deleteIfExists({ deleteSnapshots: "include", abortSignal: signal });
      } catch (error) {
        throw options.classify(error, what);
      }
    },
  };
}

function conflict(error: unknown, what: string, options: AzureWriterOptions): ProviderError | undefined {
  if (!(error instanceof RestError)) return undefined;
  const code = options.storageCode(error);
  if (code === "BlobAlreadyExists" || code === "ConditionNotMet" || code === "BlobNotFound")
    return new ProviderError("Conflict", `${what}: the write condition does not hold (${code})`, {
      cause: error,
    });
  return undefined;
}
