// MinIO's admin API, signed with the AWS SDK's SigV4 signer: just what the tests need (policy mapping).
import { createHash, createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Checksum, SourceData } from "@smithy/types";
import { textResponse } from "./http.js";
import type { MinioServer } from "./minio.js";

/** SHA-256 (or HMAC-SHA-256 with a secret) over node:crypto, in the shape the SDK signer takes. */
class Sha256 implements Checksum {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): ReturnType<typeof createHash> | ReturnType<typeof createHmac> {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** Sends one signed admin request with the root credentials; throws with MinIO's answer unless 2xx. */
async function adminRequest(
  minio: MinioServer,
  method: string,
  apiPath: string,
  query: Record<string, string>,
  options: { body?: string; ca?: string } = {},
): Promise<string> {
  const url = new URL(minio.url);
  const body = options.body ?? "";
  const signer = new SignatureV4({
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
    region: "us-east-1",
    service: "s3",
    sha256: Sha256,
    applyChecksum: true,
  });
  const path = `/minio/admin/v3/${apiPath}`;
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query,
    headers: { host: url.host, "content-length": String(Buffer.byteLength(body)) },
    body,
  });
  const target = new URL(path, minio.url);
  for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const req = send(target, { method, headers: signed.headers, ...(options.ca ? { ca: options.ca } : {}) });
  const { status, body: text } = await textResponse(req, body);
  if (status < 200 || status >= 300)
    throw new Error(`MinIO admin ${method} ${apiPath}: HTTP ${status}: ${text}`);
  return text;
}

/** Creates (or replaces) a canned IAM policy, as `mc admin policy create <alias> <name> <file>` does. */
export async function addCannedPolicy(
  minio: MinioServer,
  name: string,
  policy: object,
  options: { ca?: string } = {},
): Promise<void> {
  await adminRequest(
    minio,
    "PUT",
    "add-canned-policy",
    { name },
    { ...options, body: JSON.stringify(policy) },
  );
}

/** A policy that lets its holder list and read one bucket, and nothing else. */
export function readBucketPolicy(bucket: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: [`arn:aws:s3:::${bucket}`],
      },
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${bucket}/*`] },
    ],
  };
}

/**
 * Maps a canned policy to an LDAP user DN, as `mc admin policy attach <alias> <policy> --user <dn>` does;
 * needs a MinIO started with MINIO_IDENTITY_LDAP_* settings (see test/support/ldap.ts).
 */
export async function attachLdapUserPolicy(
  minio: MinioServer,
  policy: string,
  userDn: string,
  options: { ca?: string } = {},
): Promise<void> {
  await adminRequest(
    minio,
    "PUT",
    "set-user-or-group-policy",
    { policyName: policy, userOrGroup: userDn, isGroup: "false" },
    options,
  );
}
