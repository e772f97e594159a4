// S3 and S3-compatible servers (MinIO, Ceph, R2, GCS interop) through the official AWS SDK.
import type { Readable } from "node:stream";
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Logger } from "@smithy/types";
import {
  markListedMd5Void,
  md5FromEtag,
  ProviderError,
  unquoteEtag,
  type BucketProvider,
  type BucketWriter,
  type GetOptions,
  type ObjectInfo,
  type ObjectVersion,
  type ProviderTuning,
  type VersioningState,
  notVersioned,
} from "./types.js";
import type { ConnectionConfig } from "../credentials/resolve.js";
import { CredentialsError } from "../credentials/secret.js";
import { buildAgents, type Agents } from "../net/agents.js";
import { createFastGet, etagIsNotMd5 } from "./s3-get.js";
import { listObjectsV1, listObjectsV2 } from "./s3-list.js";
import { listObjectVersions, s3Versioning } from "./s3-versions.js";
import { createS3Writer } from "./s3-write.js";
import { describeNetworkError } from "../net/network-errors.js";

export type S3Connection = Extract<ConnectionConfig, { kind: "s3" }>;

/** Builds a provider for one S3 bucket. No request is sent until one of its methods is called. */
export function createS3Provider(
  config: S3Connection,
  tuning: ProviderTuning,
): BucketProvider & BucketWriter {
  const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
  const agents = buildAgents(config.transport, tuning.maxSockets);
  const client = new S3Client(clientConfig(config, tuning, agents));
  // Writes go through a client that does not retry (a stream body cannot be sent twice; write-retry.ts reopens
  // it), built on first write with the same agents and the read client's resolved credentials.
  let writeClient: S3Client | undefined;
  const writer = (): S3Client =>
    (writeClient ??= new S3Client({
      ...clientConfig(config, tuning, agents),
      credentials: client.config.credentials,
      maxAttempts: 1,
      logger: QUIET_LOGGER,
    }));
  const Bucket = config.bucketName;
  const endpointLabel =
    config.endpoint === undefined ? "the AWS S3 endpoint" : endpointUrl(config.endpoint, config.insecure);
  // Path-style endpoints (S3-compatible servers) GET without the SDK's middleware; AWS keeps the SDK's endpoint rules.
  const fastGet =
    config.flavor === "generic" && config.endpoint !== undefined
      ? createFastGet({
          endpoint: endpointLabel,
          bucket: Bucket,
          region: config.region ?? "us-east-1",
          credentials: client.config.credentials,
          agent: endpointLabel.startsWith("https:") ? agents.httpsAgent : agents.httpAgent,
          requestTimeoutMs: tuning.requestTimeoutMs,
        })
      : undefined;
  let useV1Listing = false;

  return {
    requests,
    ...createS3Writer({
      client: writer,
      bucket: Bucket,
      requests,
      classify: (error, what) => classify(error, what, endpointLabel),
    }),
    async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
      try {
        if (!useV1Listing) {
          try {
            for await (const o of listObjectsV2(client, { bucket: Bucket, prefix, signal, requests }))
              yield toInfo(o);
            return;
          } catch (error) {
            if (!isV2Unsupported(error)) throw error;
            useV1Listing = true;
          }
        }
        for await (const o of listObjectsV1(client, { bucket: Bucket, prefix, signal, requests }))
          yield toInfo(o);
      } catch (error) {
        throw classify(error, `list s3://${Bucket}/${prefix}`, endpointLabel);
      }
    },
    async get(key: string, options: GetOptions = {}): Promise<Readable> {
      requests.get++;
      try {
        if (fastGet) return await fastGet(key, options.etag, options.signal, options.versionId);
        const out = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: key,
            VersionId: options.versionId,
            IfMatch: options.etag === undefined ? undefined : `"${options.etag}"`,
          }),
          { abortSignal: options.signal },
        );
        const body = out.Body as Readable;
        return etagIsNotMd5(out.ServerSideEncryption, out.SSECustomerAlgorithm)
          ? markListedMd5Void(body)
          : body;
      } catch (error) {
        throw classify(error, `get s3://${Bucket}/${key}`, endpointLabel);
      }
    },
    async stat(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
      const what = `stat s3://${Bucket}/${key}`;
      requests.head++;
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }), { abortSignal: signal });
        return toInfo({ Key: key, ETag: out.ETag, Size: out.ContentLength, LastModified: out.LastModified });
      } catch (error) {
        if (!isNotFound(error)) throw classify(error, what, endpointLabel);
      }
      // A HEAD answer has no body, so a 404 does not say whether the key or the bucket is missing: ask the bucket
      // (HeadBucket needs s3:ListBucket, as the listing does).
      requests.head++;
      try {
        await client.send(new HeadBucketCommand({ Bucket }), { abortSignal: signal });
        return undefined;
      } catch (error) {
        if (isNotFound(error))
          throw new ProviderError("BucketNotFound", `${what}: bucket does not exist (NotFound)`, {
            cause: error,
          });
        throw classify(error, what, endpointLabel);
      }
    },
    async versioning(signal?: AbortSignal): Promise<VersioningState> {
      try {
        return await s3Versioning(client, Bucket, requests, signal);
      } catch (error) {
        throw classify(error, `versioning s3://${Bucket}`, endpointLabel);
      }
    },
    async *listVersions(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectVersion> {
      const what = `list versions s3://${Bucket}/${prefix}`;
      try {
        if ((await s3Versioning(client, Bucket, requests, signal)) === "disabled")
          throw notVersioned(what, "GetBucketVersioning has no Status");
        yield* listObjectVersions(client, { bucket: Bucket, prefix, signal, requests });
      } catch (error) {
        throw classify(error, what, endpointLabel);
      }
    },
    close(): void {
      client.destroy();
      writeClient?.destroy();
    },
  };
}

/**
 * Without a logger of its own the SDK prints "An error was encountered in a non-retryable streaming request" to
 * the console for every failed stream upload; those failures are classified and retried in s3-write.ts.
 */
const QUIET_LOGGER: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function clientConfig(config: S3Connection, tuning: ProviderTuning, agents: Agents): S3ClientConfig {
  const result: S3ClientConfig = {
    region: config.region ?? "us-east-1",
    forcePathStyle: config.flavor === "generic",
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({
      ...agents,
      requestTimeout: tuning.requestTimeoutMs,
      connectionTimeout: Math.min(tuning.requestTimeoutMs, 10_000),
    }),
  };
  if (config.endpoint !== undefined) result.endpoint = endpointUrl(config.endpoint, config.insecure);
  if (config.credentials !== undefined) result.credentials = config.credentials;
  if (config.flavor === "generic") {
    // Newer SDKs send CRC checksums by default; many S3-compatible servers reject or mangle them.
    result.requestChecksumCalculation = "WHEN_REQUIRED";
    result.responseChecksumValidation = "WHEN_REQUIRED";
  }
  return result;
}

/** Adds the scheme Flux implies: https unless `insecure`. */
export function endpointUrl(endpoint: string, insecure: boolean): string {
  if (/^https?:\/\//i.test(endpoint)) return endpoint;
  return `${insecure ? "http" : "https"}://${endpoint}`;
}

function toInfo(o: { Key?: string; ETag?: string; Size?: number; LastModified?: Date }): ObjectInfo {
  const info: ObjectInfo = { key: o.Key ?? "", etag: unquoteEtag(o.ETag ?? ""), size: o.Size ?? 0 };
  if (o.LastModified) info.lastModified = o.LastModified;
  const md5 = md5FromEtag(info.etag);
  if (md5 !== undefined) info.md5 = md5;
  return info;
}

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404;
}

function isV2Unsupported(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === "NotImplemented" || error.$metadata.httpStatusCode === 501)
  );
}

const AUTH_ERRORS = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "AuthorizationHeaderMalformed",
  "CredentialsProviderError",
]);

/** Maps SDK errors to a ProviderError kind by error name and HTTP status, never by message text. */
function classify(error: unknown, what: string, endpointLabel: string): ProviderError {
  if (error instanceof ProviderError) return error;
  // Temporary credentials (STS) that cannot be had or renewed: the user must fix the Secret or the STS setup.
  if (error instanceof CredentialsError)
    return new ProviderError("Unauthorized", error.message, { cause: error });
  const network = describeNetworkError(error, endpointLabel);
  if (network)
    return new ProviderError(network.certificate ? "Invalid" : "Transient", `${what}: ${network.message}`, {
      cause: error,
    });
  const name = error instanceof Error ? error.name : "UnknownError";
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  const detail = error instanceof Error ? error.message : String(error);
  if (name === "NoSuchBucket") {
    return new ProviderError("BucketNotFound", `${what}: bucket does not exist (${name})`, { cause: error });
  }
  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    return new ProviderError("Unauthorized", `${what}: access denied (${name}): ${detail}`, { cause: error });
  }
  if (name === "NoSuchKey" || (status === 404 && what.startsWith("get"))) {
    return new ProviderError("NotFound", `${what}: object not found`, { cause: error });
  }
  if (name === "PreconditionFailed" || status === 412) {
    return new ProviderError("Transient", `${what}: object changed while it was being fetched`, {
      cause: error,
    });
  }
  if (name === "AbortError" || name === "TimeoutError") {
    return new ProviderError("Transient", `${what}: timed out`, { cause: error });
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new ProviderError("Invalid", `${what}: ${name}: ${detail}`, { cause: error });
  }
  return new ProviderError("Transient", `${what}: ${name}: ${detail}`, { cause: error });
}
