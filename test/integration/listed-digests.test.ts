// The digest each provider's listing carries (ObjectInfo.md5), which the fetch checks bodies against: on MinIO,
// fake-gcs-server and Azurite it is the MD5 of the uploaded bytes, so the check is live on all three.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { normalizeSpec } from "../../src/api/normalize.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { DEFAULT_TUNING } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import type { ObjectInfo } from "../../src/providers/types.js";
import { startAzurite } from "../support/azurite.js";
import { artifactBuffers } from "../support/engine-assert.js";
import { startFakeGcs } from "../support/fake-gcs.js";
import { engineEnv } from "../support/engine-env.js";
import { serviceAccountJson } from "../support/gcp-key.js";
import { startMinio } from "../support/minio.js";

const BODY = Buffer.from("replicas: 3\n");
const MD5 = createHash("md5").update(BODY).digest("hex");
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

/** Lists the bucket the spec names through the provider the engine would build. */
async function list(spec: Record<string, unknown>, creds: SecretData): Promise<ObjectInfo[]> {
  const connection = await resolveConnection(
    normalizeSpec({ ...spec, interval: "5m" }),
    "default",
    (_ns, name) => Promise.resolve(name === "creds" ? creds : undefined),
  );
  const provider = await createProvider(connection, DEFAULT_TUNING);
  try {
    const out: ObjectInfo[] = [];
    for await (const info of provider.list("")) out.push(info);
    return out;
  } finally {
    provider.close();
  }
}

void test("S3 (MinIO): a single-part upload lists md5 = its ETag = the MD5 of the bytes", async () => {
  const minio = await startMinio();
  stops.push(() => minio.stop());
  await minio.createBucket("digests");
  await minio.putObjects("digests", [["a.yaml", BODY]]);
  const [info] = await list(
    {
      provider: "generic",
      bucketName: "digests",
      endpoint: minio.endpoint,
      insecure: true,
      secretRef: { name: "creds" },
    },
    { accesskey: minio.accessKey, secretkey: minio.secretKey },
  );
  assert.equal(info?.md5, MD5);
  assert.equal(info.etag, MD5);
});

void test("GCS (fake-gcs-server): the listing's md5Hash becomes md5, the MD5 of the bytes", async () => {
  const gcs = await startFakeGcs();
  stops.push(() => gcs.stop());
  await gcs.createBucket("digests");
  await gcs.putObjects("digests", [["a.yaml", BODY]]);
  const [info] = await list(
    {
      provider: "gcp",
      bucketName: "digests",
      endpoint: gcs.hostPort,
      insecure: true,
      secretRef: { name: "creds" },
    },
    { serviceaccount: serviceAccountJson() },
  );
  assert.equal(info?.md5, MD5);
});

void test("Azure (Azurite): the listing's Content-MD5 becomes md5, the MD5 of the bytes", async () => {
  const azurite = await startAzurite();
  stops.push(() => azurite.stop());
  await azurite.createContainer("digests");
  await azurite.putObjects("digests", [["a.yaml", BODY]]);
  const [info] = await list(
    { provider: "azure", bucketName: "digests", endpoint: azurite.endpoint, secretRef: { name: "creds" } },
    { accountKey: azurite.accountKey },
  );
  assert.equal(info?.md5, MD5);
});

void test("S3 SSE-KMS (MinIO with a KMS key): a 32-hex ETag that is not the MD5 is not checked as one; the object is published", async (t) => {
  const minio = await startMinio({
    env: { MINIO_KMS_SECRET_KEY: `test-key:${randomBytes(32).toString("base64")}` },
  });
  stops.push(() => minio.stop());
  await minio.createBucket("kms");
  await minio.client.send(
    new PutObjectCommand({ Bucket: "kms", Key: "a.yaml", Body: BODY, ServerSideEncryption: "aws:kms" }),
  );
  const spec = {
    provider: "generic",
    bucketName: "kms",
    endpoint: minio.endpoint,
    insecure: true,
    secretRef: { name: "creds" },
  };
  const creds = { accesskey: minio.accessKey, secretkey: minio.secretKey };
  const [info] = await list(spec, creds);
  assert.match(info?.etag ?? "", /^[0-9a-f]{32}$/, "looks like a single-part MD5 ETag");
  assert.notEqual(info?.etag, MD5, "but is not the MD5 of the bytes");

  const env = await engineEnv(t);
  env.secrets.set("creds", creds);
  const result = await env.sync({ ...spec, interval: "5m" }, undefined, "kms");
  assert.equal(result.outcome, "stored", result.error?.message);
  const files = await artifactBuffers(env, result.status.artifact ?? assert.fail("status.artifact is set"));
  assert.deepEqual(files.get("a.yaml"), BODY);
});
