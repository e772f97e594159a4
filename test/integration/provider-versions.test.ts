// Version listings, versioning state and GET of a past version, on the real servers: S3 on MinIO (versioning
// enabled with PutBucketVersioning), GCS on fake-gcs-server (bucket created with versioning), Azure Blob on
// Azurite (which keeps no versions: the not-versioned path). Providers are built as the engine builds them
// (spec → resolveConnection → createProvider); the history is written with each server's own client.
import assert from "node:assert/strict";
import { text } from "node:stream/consumers";
import { after, before, describe, test } from "node:test";
import {
  DeleteObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { normalizeSpec } from "../../src/api/normalize.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { DEFAULT_TUNING } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import { GCS_DELETED_SUFFIX, listGcsVersions } from "../../src/providers/gcs-versions.js";
import { listObjectVersions } from "../../src/providers/s3-versions.js";
import { ProviderError, type ObjectInfo, type ObjectVersion } from "../../src/providers/types.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";

type Provider = Awaited<ReturnType<typeof createProvider>>;

async function build(spec: Record<string, unknown>, secret?: SecretData): Promise<Provider> {
  const connection = await resolveConnection(
    normalizeSpec({ interval: "5m", ...spec, ...(secret ? { secretRef: { name: "creds" } } : {}) }),
    "default",
    (_ns, name) => Promise.resolve(name === "creds" ? secret : undefined),
  );
  return createProvider(connection, DEFAULT_TUNING);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function listed(provider: Provider, key: string): Promise<ObjectInfo> {
  const info = (await collect(provider.list(key))).find((o) => o.key === key);
  assert.ok(info, `${key} is listed`);
  return info;
}

async function expectKind(promise: Promise<unknown>, kind: ProviderError["kind"]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProviderError, String(error));
    assert.equal(error.kind, kind, error.message);
    return true;
  });
}

/** What an entry is expected to be: the fields listVersions must give, lastModified checked apart. */
type Expected = Omit<ObjectVersion, "lastModified">;

function withoutTime(v: ObjectVersion): Expected {
  const { lastModified: _time, ...rest } = v;
  return rest;
}

function versionOf(key: string, versionId: string, info: ObjectInfo): Expected {
  const v: Expected = { key, versionId, deleteMarker: false, etag: info.etag, size: info.size };
  if (info.md5 !== undefined) v.md5 = info.md5;
  return v;
}

function markerOf(key: string, versionId: string): Expected {
  return { key, versionId, deleteMarker: true, etag: "", size: 0 };
}

/** Within each key, entries are newest first: lastModified never increases. */
function assertNewestFirst(entries: ObjectVersion[]): void {
  for (let i = 1; i < entries.length; i++) {
    const [a, b] = [entries[i - 1] as ObjectVersion, entries[i] as ObjectVersion];
    if (a.key === b.key)
      assert.ok(a.lastModified >= b.lastModified, `${a.key}: ${a.versionId} before ${b.versionId}`);
    else assert.ok(a.key < b.key, `${a.key} before ${b.key}`);
  }
}

describe("S3 (MinIO) versions", () => {
  let minio: MinioServer;
  const s3 = (): S3Client => minio.client;
  const provider = (bucket: string): Promise<Provider> =>
    build(
      { provider: "generic", bucketName: bucket, endpoint: minio.endpoint, insecure: true },
      { accesskey: minio.accessKey, secretkey: minio.secretKey },
    );
  const enable = async (bucket: string, Status: "Enabled" | "Suspended" = "Enabled"): Promise<void> => {
    await s3().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status } }));
  };
  const put = async (bucket: string, Key: string, Body: string): Promise<string> => {
    const out = await s3().send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    assert.ok(out.VersionId, `PutObject ${Key} answers a VersionId`);
    return out.VersionId;
  };
  const del = async (bucket: string, Key: string): Promise<string> => {
    const out = await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    assert.ok(out.VersionId && out.DeleteMarker, `DeleteObject ${Key} answers a delete marker`);
    return out.VersionId;
  };

  before(async () => {
    minio = await startMinio();
  });
  after(async () => {
    await minio.stop();
  });

  test("versioning() is disabled for a bucket that never had it, enabled after PutBucketVersioning Enabled, suspended after Suspended", async () => {
    await minio.createBucket("state");
    const p = await provider("state");
    try {
      assert.equal(await p.versioning(), "disabled");
      await enable("state");
      assert.equal(await p.versioning(), "enabled");
      await enable("state", "Suspended");
      assert.equal(await p.versioning(), "suspended");
      assert.equal(p.requests.list, 3, "one GetBucketVersioning each, counted as list requests");
    } finally {
      p.close();
    }
  });

  test("listVersions on a never-versioned bucket throws NotVersioned after one request, and list still works; on a missing bucket BucketNotFound", async () => {
    await minio.createBucket("plain");
    await minio.putObjects("plain", [["a.yaml", "a\n"]]);
    const p = await provider("plain");
    const missing = await provider("missing");
    try {
      await expectKind(collect(missing.listVersions("")), "BucketNotFound");
      await expectKind(missing.versioning(), "BucketNotFound");
      await expectKind(collect(p.listVersions("")), "NotVersioned");
      assert.equal(p.requests.list, 1);
      assert.deepEqual(
        (await collect(p.list(""))).map((o) => o.key),
        ["a.yaml"],
      );
    } finally {
      p.close();
      missing.close();
    }
  });

  test("listVersions gives every version and delete marker under the prefix, keys ascending, newest first, each version with the etag, size and md5 the live listing had; get by versionId returns each version's bytes", async () => {
    const bucket = "history";
    await minio.createBucket(bucket);
    await enable(bucket);
    const p = await provider(bucket);
    try {
      const a = "cfg/a.yaml";
      const odd = "cfg/sp ace+plus/ü%.yaml"; // url encoding of keys and markers
      const bodies = new Map<string, string>();
      const expected: Expected[] = [];
      const liveEtags: string[] = [];
      const step = async (key: string, body: string): Promise<Expected> => {
        const versionId = await put(bucket, key, body);
        bodies.set(versionId, body);
        const info = await listed(p, key);
        liveEtags.push(info.etag);
        return versionOf(key, versionId, info);
      };
      const a1 = await step(a, "a: 1\n");
      const a2 = await step(a, "a: two\n");
      const aGone = markerOf(a, await del(bucket, a));
      const a3 = await step(a, "a: three, re-created\n");
      const b1 = await step("cfg/b.yaml", "b: 1\n");
      const o1 = await step(odd, "odd: 1\n");
      const oGone = markerOf(odd, await del(bucket, odd));
      await minio.putObjects(bucket, [["other/outside.yaml", "not under the prefix\n"]]);
      expected.push(a3, aGone, a2, a1, b1, oGone, o1);

      p.requests.list = 0;
      const versions = await collect(p.listVersions("cfg/"));
      assert.deepEqual(versions.map(withoutTime), expected);
      assertNewestFirst(versions);
      assert.equal(p.requests.list, 2, "GetBucketVersioning + one ListObjectVersions page");
      assert.equal(new Set(liveEtags).size, 5, "five distinct bodies: five distinct etags");

      for (const v of versions.filter((e) => !e.deleteMarker)) {
        const body = await text(await p.get(v.key, { versionId: v.versionId }));
        assert.equal(body, bodies.get(v.versionId), `${v.key} @ ${v.versionId}`);
        const conditioned = await text(await p.get(v.key, { versionId: v.versionId, etag: v.etag }));
        assert.equal(conditioned, bodies.get(v.versionId), `${v.key} @ ${v.versionId} if-match its etag`);
      }
      await expectKind(p.get(a, { versionId: a1.versionId, etag: a2.etag }), "Transient");
      await expectKind(p.get(a, { versionId: "00000000-0000-0000-0000-000000000000" }), "NotFound");
      assert.equal(await text(await p.get(a)), "a: three, re-created\n", "without versionId: the live one");
    } finally {
      p.close();
    }
  });

  test("listVersions pages through 2,500 versions (1,000 a page) in order, and a 3-entry page size splits keys' versions across pages without losing or repeating one", async () => {
    const bucket = "many";
    await minio.createBucket(bucket);
    await enable(bucket);
    // 500 keys × 5 versions; names with spaces and plus signs so every marker goes through url decoding.
    const keys = Array.from({ length: 500 }, (_, i) => `k/${String(i).padStart(3, "0")} +x.yaml`);
    for (let round = 1; round <= 5; round++)
      await minio.putObjects(
        bucket,
        keys.map((k) => [k, `${k} v${round}\n`]),
      );
    const p = await provider(bucket);
    try {
      const versions = await collect(p.listVersions("k/"));
      assert.equal(versions.length, 2500);
      assert.equal(p.requests.list, 1 + 3, "GetBucketVersioning + 3 pages");
      assert.deepEqual([...new Set(versions.map((v) => v.key))], keys);
      assert.equal(new Set(versions.map((v) => `${v.key}@${v.versionId}`)).size, 2500, "no entry twice");
      assertNewestFirst(versions);
      const newest = versions[0] as ObjectVersion;
      assert.equal(await text(await p.get(newest.key, { versionId: newest.versionId })), `${keys[0]} v5\n`);
      const oldest = versions[4] as ObjectVersion;
      assert.equal(await text(await p.get(oldest.key, { versionId: oldest.versionId })), `${keys[0]} v1\n`);

      const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
      const small = await collect(
        listObjectVersions(minio.client, { bucket, prefix: "k/00", requests, maxKeys: 3 }),
      );
      assert.deepEqual(
        small,
        versions.filter((v) => v.key.startsWith("k/00")),
      );
      assert.equal(requests.list, Math.ceil(small.length / 3));
    } finally {
      p.close();
    }
  });
});

describe("GCS (fake-gcs-server) versions", () => {
  let gcs: FakeGcsServer;
  const provider = (bucket: string): Promise<Provider> =>
    build({ provider: "gcp", bucketName: bucket, endpoint: gcs.hostPort, insecure: true });
  const createVersioned = async (name: string): Promise<void> => {
    await gcs.client.createBucket(name, { versioning: { enabled: true } });
  };
  const upload = async (bucket: string, key: string, body: string): Promise<string> => {
    const file = gcs.client.bucket(bucket).file(key);
    await file.save(body, { resumable: false });
    return String(file.metadata.generation);
  };

  before(async () => {
    gcs = await startFakeGcs();
  });
  after(async () => {
    await gcs.stop();
  });

  test("versioning() is enabled for a bucket created with versioning and disabled for one without; listVersions on the latter throws NotVersioned, on a missing bucket BucketNotFound", async () => {
    await createVersioned("g-state");
    await gcs.createBucket("g-plain");
    await gcs.putObjects("g-plain", [["a.yaml", "a\n"]]);
    const versioned = await provider("g-state");
    const plain = await provider("g-plain");
    const missing = await provider("g-missing");
    try {
      await expectKind(collect(missing.listVersions("")), "BucketNotFound");
      assert.equal(await versioned.versioning(), "enabled");
      assert.equal(await plain.versioning(), "disabled");
      await expectKind(collect(plain.listVersions("")), "NotVersioned");
      assert.equal(plain.requests.list, 2, "one bucket metadata GET each, counted as list requests");
    } finally {
      versioned.close();
      plain.close();
      missing.close();
    }
  });

  test("listVersions gives every generation newest first with the live listing's etag, size and md5, and a delete marker at timeDeleted where a key was deleted (now, or before it was re-created); get by generation returns each one's bytes", async () => {
    const bucket = "g-history";
    await createVersioned(bucket);
    const p = await provider(bucket);
    try {
      const a = "cfg/a.yaml";
      const odd = "cfg/sp ace+plus/ü%.yaml";
      const bodies = new Map<string, string>();
      const step = async (key: string, body: string): Promise<Expected> => {
        const generation = await upload(bucket, key, body);
        bodies.set(generation, body);
        return versionOf(key, generation, await listed(p, key));
      };
      const a1 = await step(a, "a: 1\n");
      const a2 = await step(a, "a: two\n");
      await gcs.deleteObject(bucket, a);
      await new Promise((resolve) => setTimeout(resolve, 20)); // the deletion and the re-creation a few ms apart
      const a3 = await step(a, "a: three, re-created\n");
      const b1 = await step("cfg/b.yaml", "b: 1\n");
      const o1 = await step(odd, "odd: 1\n");
      await gcs.deleteObject(bucket, odd);
      await gcs.putObjects(bucket, [["other/outside.yaml", "not under the prefix\n"]]);

      p.requests.list = 0;
      const versions = await collect(p.listVersions("cfg/"));
      assert.deepEqual(versions.map(withoutTime), [
        a3,
        markerOf(a, `${a2.versionId}${GCS_DELETED_SUFFIX}`),
        a2,
        a1,
        b1,
        markerOf(odd, `${o1.versionId}${GCS_DELETED_SUFFIX}`),
        o1,
      ]);
      assertNewestFirst(versions);
      const [v3, gap, v2] = versions as [ObjectVersion, ObjectVersion, ObjectVersion];
      assert.ok(
        v2.lastModified < gap.lastModified && gap.lastModified < v3.lastModified,
        "the gap lies between",
      );
      assert.equal(p.requests.list, 2, "bucket metadata + one versions page");

      for (const v of versions.filter((e) => !e.deleteMarker)) {
        assert.equal(
          await text(await p.get(v.key, { versionId: v.versionId })),
          bodies.get(v.versionId),
          v.key,
        );
        const conditioned = await text(await p.get(v.key, { versionId: v.versionId, etag: v.etag }));
        assert.equal(conditioned, bodies.get(v.versionId), `${v.key} with its etag`);
      }
      await expectKind(p.get(a, { versionId: "not-a-generation" }), "Invalid");
      await expectKind(p.get(a, { versionId: `${a1.versionId}1` }), "NotFound");
      assert.equal(await text(await p.get(a)), "a: three, re-created\n", "without versionId: the live one");
    } finally {
      p.close();
    }
  });

  test("listVersions pages through 1,050 generations (1,000 a page, a key straddling the pages) with none lost or repeated", async () => {
    const bucket = "g-many";
    await createVersioned(bucket);
    const keys = Array.from({ length: 150 }, (_, i) => `k/${String(i).padStart(3, "0")}.yaml`);
    for (let round = 1; round <= 7; round++)
      await gcs.putObjects(
        bucket,
        keys.map((k) => [k, `${k} v${round}\n`]),
      );
    const p = await provider(bucket);
    try {
      const versions = await collect(p.listVersions("k/"));
      assert.equal(versions.length, 1050);
      assert.equal(p.requests.list, 1 + 2, "bucket metadata + 2 pages");
      assert.deepEqual([...new Set(versions.map((v) => v.key))], keys);
      assert.equal(new Set(versions.map((v) => `${v.key}@${v.versionId}`)).size, 1050, "no entry twice");
      assert.ok(
        versions.every((v) => !v.deleteMarker),
        "overwrites are no deletions",
      );
      assertNewestFirst(versions);
      const straddling = versions.slice(994, 1001);
      assert.ok(
        straddling.every((v) => v.key === keys[142]),
        "key 142's generations are entries 994-1000",
      );
      for (const [i, v] of straddling.entries())
        assert.equal(await text(await p.get(v.key, { versionId: v.versionId })), `${keys[142]} v${7 - i}\n`);
    } finally {
      p.close();
    }
  });

  test("fake-gcs-server restarts a versions page at the key its page token names: a key with more generations than a page is an Invalid error, not an endless loop", async () => {
    const bucket = "g-loop";
    await createVersioned(bucket);
    for (let round = 1; round <= 5; round++) await upload(bucket, "k.yaml", `v${round}\n`);
    const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
    {
      const listing = listGcsVersions(gcs.client.bucket(bucket), {
        prefix: "",
        requests,
        pageSize: 3,
        toInfo: (file) => ({
          key: file.name,
          etag: String(file.metadata.etag),
          size: Number(file.metadata.size),
          versionId: String(file.metadata.generation),
        }),
        abortable: (promise) => promise,
      });
      await expectKind(collect(listing), "Invalid");
      assert.equal(requests.list, 2, "the second page repeated the first one's token");
    }
  });
});

describe("Azure Blob (Azurite) versions", () => {
  let azurite: AzuriteServer;
  const provider = (container: string): Promise<Provider> =>
    build(
      { provider: "azure", bucketName: container, endpoint: azurite.endpoint },
      { accountKey: azurite.accountKey },
    );

  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite.stop();
  });

  test("Azurite lists no version ids: versioning() is disabled (also for an empty container) and listVersions throws NotVersioned after its first page; a missing container is BucketNotFound", async () => {
    await azurite.createContainer("overwritten");
    await azurite.putObjects("overwritten", [["cfg/a.yaml", "a: 1\n"]]);
    await azurite.putObjects("overwritten", [["cfg/a.yaml", "a: 2\n"]]);
    await azurite.createContainer("empty");
    const p = await provider("overwritten");
    const empty = await provider("empty");
    const missing = await provider("missing");
    try {
      assert.equal(await p.versioning(), "disabled");
      assert.equal(await empty.versioning(), "disabled");
      p.requests.list = 0;
      await expectKind(collect(p.listVersions("cfg/")), "NotVersioned");
      assert.equal(p.requests.list, 1, "one List Blobs page");
      await expectKind(collect(empty.listVersions("")), "NotVersioned");
      await expectKind(collect(missing.listVersions("")), "BucketNotFound");
    } finally {
      p.close();
      empty.close();
      missing.close();
    }
  });
});

describe("file:// versions", () => {
  test("a folder keeps no versions: versioning() is disabled and listVersions throws NotVersioned", async () => {
    const dir = await makeTempDir("provider-versions");
    const p = await build({ url: `file://${dir}` });
    try {
      assert.equal(await p.versioning(), "disabled");
      await expectKind(collect(p.listVersions("")), "NotVersioned");
    } finally {
      p.close();
      await removeDir(dir);
    }
  });
});
