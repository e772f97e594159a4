// GetObject on the hot path without the SDK's middleware stack: one SigV4-signed request on the provider's own
// keep-alive agents. Per object the SDK spent more CPU (endpoint rules, schema serde, retry and auth middleware)
// than the HTTP exchange itself; a cold sync of many small objects is bound by that CPU on a small machine.
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";
import { Sha256 } from "@smithy/core/checksum";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { XMLParser } from "fast-xml-parser";
import { markListedMd5Void } from "./types.js";

const xml = new XMLParser({ parseTagValue: false });
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** Error bodies are small XML documents; more is not read. */
const MAX_ERROR_BODY = 64 * 1024;

export interface FastGetOptions {
  /** Base URL of a path-style endpoint, e.g. http://127.0.0.1:9000 */
  endpoint: string;
  bucket: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  agent: HttpAgent;
  requestTimeoutMs: number;
}

export type FastGet = (
  key: string,
  etag: string | undefined,
  signal?: AbortSignal,
  versionId?: string,
) => Promise<Readable>;

/**
 * A path-style GetObject: `If-Match` on the listed etag, `?versionId=` (signed) for a past version, the body
 * streamed as it arrives. Failures are thrown as
 * S3ServiceException (name from the XML error code, HTTP status in $metadata) or the network error itself, so the
 * provider classifies them exactly as SDK errors.
 */
export function createFastGet(options: FastGetOptions): FastGet {
  const base = new URL(options.endpoint);
  const basePath = base.pathname.replace(/\/+$/, "");
  const request = base.protocol === "https:" ? httpsRequest : httpRequest;
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false, // S3 signs the path as sent
    applyChecksum: false,
  });

  return async (key, etag, signal, versionId) => {
    const objectPath = `${basePath}/${encodeS3(options.bucket)}/${key.split("/").map(encodeS3).join("/")}`;
    const query: Record<string, string> = versionId === undefined ? {} : { versionId };
    const path = versionId === undefined ? objectPath : `${objectPath}?versionId=${encodeS3(versionId)}`;
    const headers: Record<string, string> = { host: base.host, "x-amz-content-sha256": EMPTY_SHA256 };
    if (etag !== undefined) headers["if-match"] = `"${etag}"`;
    const signed = await signer.sign({
      method: "GET",
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port === "" ? undefined : Number(base.port),
      path: objectPath,
      headers,
      query,
    });
    signal?.throwIfAborted();
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path,
          method: "GET",
          headers: signed.headers,
          agent: options.agent,
          signal,
          timeout: options.requestTimeoutMs,
        },
        resolve,
      );
      req.on("timeout", () => {
        req.destroy(
          Object.assign(new Error(`no response within ${options.requestTimeoutMs} ms`), {
            name: "TimeoutError",
          }),
        );
      });
      req.on("error", reject);
      req.end();
    });
    if (response.statusCode === 200) {
      const sse = response.headers["x-amz-server-side-encryption"];
      const customer = response.headers["x-amz-server-side-encryption-customer-algorithm"];
      return etagIsNotMd5(
        typeof sse === "string" ? sse : undefined,
        typeof customer === "string" ? customer : undefined,
      )
        ? markListedMd5Void(response)
        : response;
    }
    throw await responseError(response);
  };
}

/** The ETag of an SSE-KMS (also dual-layer) or SSE-C object is not the MD5 of its content, even when single-part. */
export function etagIsNotMd5(encryption: string | undefined, customerAlgorithm: string | undefined): boolean {
  return customerAlgorithm !== undefined || (encryption?.startsWith("aws:kms") ?? false);
}

async function responseError(response: IncomingMessage): Promise<S3ServiceException> {
  const status = response.statusCode ?? 0;
  let body = "";
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (body.length < MAX_ERROR_BODY) body += chunk.toString("utf8");
  }
  let parsed: { Error?: { Code?: unknown; Message?: unknown } } = {};
  try {
    parsed = xml.parse(body) as typeof parsed;
  } catch {
    // not XML (a proxy's error page): fall back to the status
  }
  const tag = (name: "Code" | "Message"): string | undefined => {
    const value = parsed.Error?.[name];
    return typeof value === "string" ? value : undefined;
  };
  const code =
    tag("Code") ?? (status === 404 ? "NotFound" : status === 412 ? "PreconditionFailed" : `Http${status}`);
  return new S3ServiceException({
    name: code,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message: tag("Message") ?? `HTTP ${status}`,
  });
}

/** S3's key encoding: encodeURIComponent plus the characters it leaves alone but S3 wants escaped. */
function encodeS3(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
