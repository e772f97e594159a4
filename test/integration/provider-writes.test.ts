// stat, put (plain and conditional) and delete of every provider, on the real servers: S3 on MinIO, GCS on
// fake-gcs-server, Azure Blob on Azurite, and file:// on a temp folder. Each provider is built the way the engine
// builds it (spec → resolveConnection → createProvider); objects seeded for the stat cases go through the server's
// own client, so stat is compared with a listing of objects our writer did not make.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { normalizeSpec } from "../../src/api/normalize.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { DEFAULT_TUNING } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import { ProviderError, type ObjectInfo } from "../../src/providers/types.js";
import { startAzurite } from "../support/azurite.js";
import { startFakeGcs } from "../support/fake-gcs.js";
import { serviceAccountJson } from "../support/gcp-key.js";
import { startMinio } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";

type Provider = Awaited<ReturnType<typeof createProvider>>;

/** One provider on its running server. */
interface Backend {
  /** A provider for `bucket` (which need not exist). */
  provider(bucket: string): Promise<Provider>;
  createBucket(name: string): Promise<void>;
  /** Writes objects with the server's own client (not our writer). */
  seed(bucket: string, objects: [key: string, body: string][]): Promise<void>;
  stop(): Promise<void>;
}

interface Row {
  name: string;
  start(): Promise<Backend>;
  /**
   * How precisely stat's lastModified matches the listing's: "second" where stat reads an HTTP date (S3 HEAD's
   * Last-Modified) while the listing carries milliseconds (MinIO's ListObjectsV2).
   */
  statTime: "exact" | "second";
}

async function build(spec: Record<string, unknown>, secret?: SecretData): Promise<Provider> {
  const connection = await resolveConnection(
    normalizeSpec({ interval: "5m", ...spec, ...(secret ? { secretRef: { name: "creds" } } : {}) }),
    "default",
    (_ns, name) => Promise.resolve(name === "creds" ? secret : undefined),
  );
  return createProvider(connection, DEFAULT_TUNING);
}

const ROWS: Row[] = [
  {
    name: "S3 (MinIO)",
    async start() {
      const minio = await startMinio();
      return {
        provider: (bucket) =>
          build(
            { provider: "generic", bucketName: bucket, endpoint: minio.endpoint, insecure: true },
            { accesskey: minio.accessKey, secretkey: minio.secretKey },
          ),
        createBucket: (name) => minio.createBucket(name),
        seed: (bucket, objects) => minio.putObjects(bucket, objects),
        stop: () => minio.stop(),
      };
    },
    statTime: "second",
  },
  {
    name: "GCS (fake-gcs-server)",
    async start() {
      const gcs = await startFakeGcs();
      return {
        provider: (bucket) =>
          build(
            { provider: "gcp", bucketName: bucket, endpoint: gcs.hostPort, insecure: true },
            { serviceaccount: serviceAccountJson() },
          ),
        createBucket: (name) => gcs.createBucket(name),
        seed: (bucket, objects) => gcs.putObjects(bucket, objects),
        stop: () => gcs.stop(),
      };
    },
    statTime: "exact",
  },
  {
    name: "Azure Blob (Azurite)",
    async start() {
      const azurite = await startAzurite();
      return {
        provider: (container) =>
          build(
            { provider: "azure", bucketName: container, endpoint: azurite.endpoint },
            { accountKey: azurite.accountKey },
          ),
        createBucket: (name) => azurite.createContainer(name),
        seed: (container, objects) => azurite.putObjects(container, objects),
        stop: () => azurite.stop(),
      };
    },
    statTime: "exact",
  },
  {
    name: "file://",
    async start() {
      const dir = await makeTempDir("provider-writes");
      return {
        provider: (bucket) => build({ url: `file://${path.join(dir, bucket)}` }),
        createBucket: (name) => mkdir(path.join(dir, name)),
        async seed(bucket, objects) {
          for (const [key, body] of objects) {
            const full = path.join(dir, bucket, key);
            await mkdir(path.dirname(full), { recursive: true });
            await writeFile(full, body);
          }
        },
        stop: () => removeDir(dir),
      };
    },
    statTime: "exact",
  },
];

async function listAll(provider: Provider, prefix = ""): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  for await (const info of provider.list(prefix)) out.set(info.key, info);
  return out;
}

/** `info` with lastModified cut to what stat can know. */
function atPrecision(info: ObjectInfo, precision: Row["statTime"]): ObjectInfo {
  if (precision === "exact" || info.lastModified === undefined) return info;
  return { ...info, lastModified: new Date(Math.floor(info.lastModified.getTime() / 1000) * 1000) };
}

async function expectKind(promise: Promise<unknown>, kind: ProviderError["kind"]): Promise<ProviderError> {
  const error = await promise.then(
    () => assert.fail(`expected a ProviderError of kind ${kind}, but it succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ProviderError, `a ProviderError, got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  return error;
}

for (const row of ROWS) {
  void describe(row.name, () => {
    let backend: Backend;
    const providers: Provider[] = [];
    const open = async (bucket: string): Promise<Provider> => {
      const provider = await backend.provider(bucket);
      providers.push(provider);
      return provider;
    };
    before(async () => {
      backend = await row.start();
      await backend.createBucket("seeded");
      await backend.seed("seeded", [
        ["a.yaml", "replicas: 3\n"],
        ["dir/b.yaml", "kind: ConfigMap\n"],
        ["empty.txt", ""],
      ]);
    });
    after(async () => {
      for (const provider of providers) provider.close();
      await backend.stop();
    });

    void test(`stat of each seeded object deep-equals its listing record (key, etag, size, md5, versionId; lastModified ${row.statTime === "exact" ? "exactly" : "to the second"}) and counts one head request`, async () => {
      const provider = await open("seeded");
      const listed = await listAll(provider);
      assert.equal(listed.size, 3);
      for (const [key, info] of listed) {
        const heads = provider.requests.head;
        assert.deepEqual(await provider.stat(key), atPrecision(info, row.statTime), key);
        assert.equal(provider.requests.head, heads + 1, `${key}: one head request`);
      }
    });

    void test("stat of a missing key (also one under a listed folder, and the folder itself) is undefined", async () => {
      const provider = await open("seeded");
      assert.equal(await provider.stat("missing.yaml"), undefined);
      assert.equal(await provider.stat("dir/missing.yaml"), undefined);
      assert.equal(await provider.stat("dir"), undefined);
      assert.equal(provider.requests.list, 0, "no LIST was counted");
    });

    void test("stat in a bucket that does not exist fails with BucketNotFound", async () => {
      const provider = await open("no-such-bucket");
      await expectKind(provider.stat("a.yaml"), "BucketNotFound");
    });
  });
}
