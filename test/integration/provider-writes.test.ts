// stat, put (plain and conditional) and delete of every provider, on the real servers: S3 on MinIO, GCS on
// fake-gcs-server, Azure Blob on Azurite, and file:// on a temp folder. Each provider is built the way the engine
// builds it (spec → resolveConnection → createProvider); objects seeded for the stat cases go through the server's
// own client, so stat is compared with a listing of objects our writer did not make.
import assert from "node:assert/strict";
import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
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
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { serviceAccountJson } from "../support/gcp-key.js";
import { startMinio, type MinioServer } from "../support/minio.js";
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
  /** Whether put's answer carries the new object's lastModified (S3's PutObject answer has none). */
  putTime: boolean;
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
    putTime: false,
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
    putTime: true,
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
    putTime: true,
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
    putTime: true,
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

async function text(provider: Provider, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await provider.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** What put should resolve with: the listing's record, without lastModified where put cannot know it. */
function expectedPut(listed: ObjectInfo | undefined, row: Row): ObjectInfo | undefined {
  if (listed === undefined || row.putTime) return listed;
  const { lastModified: _time, ...rest } = listed;
  return rest;
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

    void test("put of a Buffer resolves with the record the listing then shows and stat returns (etag, size, md5, versionId), counts one put, and get returns the bytes", async () => {
      await backend.createBucket("put-buffer");
      const provider = await open("put-buffer");
      const put = await provider.put("dir/a.yaml", Buffer.from("replicas: 3\n"), 12, {
        contentType: "application/yaml",
      });
      assert.equal(provider.requests.put, 1);
      const listed = (await listAll(provider)).get("dir/a.yaml");
      assert.ok(listed, "listed");
      assert.deepEqual(put, expectedPut(listed, row));
      assert.equal(listed.size, 12);
      assert.deepEqual(await provider.stat("dir/a.yaml"), atPrecision(listed, row.statTime));
      assert.equal(await text(provider, "dir/a.yaml"), "replicas: 3\n");
    });

    void test("put of a stream factory (300 KiB in 64 KiB chunks) and of an empty Buffer: records equal the listing's, bytes read back equal", async () => {
      await backend.createBucket("put-stream");
      const provider = await open("put-stream");
      const body = Buffer.alloc(300 * 1024, "0123456789abcdef");
      const chunks = (): Readable =>
        Readable.from(
          Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) =>
            body.subarray(i * 65536, (i + 1) * 65536),
          ),
        );
      const big = await provider.put("big.bin", chunks, body.length);
      const empty = await provider.put("empty.txt", Buffer.alloc(0), 0);
      const listed = await listAll(provider);
      assert.deepEqual(big, expectedPut(listed.get("big.bin"), row));
      assert.deepEqual(empty, expectedPut(listed.get("empty.txt"), row));
      assert.equal(listed.get("big.bin")?.size, body.length);
      assert.equal(listed.get("empty.txt")?.size, 0);
      assert.equal(await text(provider, "big.bin"), body.toString("utf8"));
      assert.equal(await text(provider, "empty.txt"), "");
    });

    void test("a body of another size than announced (Buffer, short stream, long stream) fails with Invalid and stores nothing", async () => {
      await backend.createBucket("put-size");
      const provider = await open("put-size");
      await expectKind(provider.put("a.txt", Buffer.from("12345"), 4), "Invalid");
      await expectKind(
        provider.put("b.txt", () => Readable.from([Buffer.from("123")]), 4),
        "Invalid",
      );
      await expectKind(
        provider.put("c.txt", () => Readable.from([Buffer.from("12345")]), 4),
        "Invalid",
      );
      assert.deepEqual([...(await listAll(provider)).keys()], []);
    });

    void test("ifNoneExists writes a missing key; on an existing key it fails with Conflict and the object keeps its etag and bytes", async (t) => {
      await backend.createBucket("if-none");
      const provider = await open("if-none");
      const first = await provider.put("index.json", Buffer.from("v1"), 2, { ifNoneExists: true });
      const refused = await expectKind(
        provider.put("index.json", Buffer.from("v2!"), 3, { ifNoneExists: true }),
        "Conflict",
      );
      t.diagnostic(refused.message);
      const now = await provider.stat("index.json");
      assert.equal(now?.etag, first.etag);
      assert.equal(await text(provider, "index.json"), "v1");
    });

    void test("ifMatch with a stale etag (or on a missing key) fails with Conflict and changes nothing; with the current etag it writes, also through a provider that never listed the key", async (t) => {
      await backend.createBucket("if-match");
      const provider = await open("if-match");
      const v1 = await provider.put("index.json", Buffer.from("v1"), 2);
      const v2 = await provider.put("index.json", Buffer.from("v2"), 2);
      assert.notEqual(v2.etag, v1.etag, "a rewrite changes the etag");
      const stale = await expectKind(
        provider.put("index.json", Buffer.from("v3"), 2, { ifMatch: v1.etag }),
        "Conflict",
      );
      t.diagnostic(stale.message);
      assert.equal((await provider.stat("index.json"))?.etag, v2.etag);
      assert.equal(await text(provider, "index.json"), "v2");
      const missing = await expectKind(
        provider.put("missing.json", Buffer.from("v3"), 2, { ifMatch: v2.etag }),
        "Conflict",
      );
      t.diagnostic(missing.message);
      assert.equal(await provider.stat("missing.json"), undefined);

      const v3 = await provider.put("index.json", Buffer.from("v3"), 2, { ifMatch: v2.etag });
      assert.deepEqual(v3, expectedPut((await listAll(provider)).get("index.json"), row));
      assert.equal((await provider.stat("index.json"))?.etag, v3.etag);
      assert.equal(await text(provider, "index.json"), "v3");

      const fresh = await open("if-match");
      await expectKind(fresh.put("index.json", Buffer.from("v4"), 2, { ifMatch: v2.etag }), "Conflict");
      const v4 = await fresh.put("index.json", Buffer.from("v4"), 2, { ifMatch: v3.etag });
      assert.equal((await provider.stat("index.json"))?.etag, v4.etag);
      assert.equal(await text(provider, "index.json"), "v4");
    });

    void test("ifMatch with the etag this provider last saw fails with Conflict after another client rewrote the object (the server's check: GCS sends the generation it saw)", async (t) => {
      await backend.createBucket("if-match-race");
      const writer = await open("if-match-race");
      const seen = await writer.put("index.json", Buffer.from("v1"), 2);
      await backend.seed("if-match-race", [["index.json", "other"]]);
      const refused = await expectKind(
        writer.put("index.json", Buffer.from("v2"), 2, { ifMatch: seen.etag }),
        "Conflict",
      );
      t.diagnostic(refused.message);
      assert.equal(await text(writer, "index.json"), "other");
    });

    void test("delete removes the object (stat undefined, not listed), deleting a missing key succeeds, each counts one delete", async () => {
      await backend.createBucket("delete");
      const provider = await open("delete");
      await provider.put("dir/sub/a.yaml", Buffer.from("a"), 1);
      await provider.put("keep.yaml", Buffer.from("k"), 1);
      await provider.delete("dir/sub/a.yaml");
      assert.equal(await provider.stat("dir/sub/a.yaml"), undefined);
      await provider.delete("dir/sub/a.yaml");
      await provider.delete("never-existed.yaml");
      assert.equal(provider.requests.delete, 3);
      assert.deepEqual([...(await listAll(provider)).keys()], ["keep.yaml"]);
    });

    void test("put in a bucket that does not exist fails with BucketNotFound", async () => {
      const provider = await open("no-such-bucket");
      await expectKind(provider.put("a.yaml", Buffer.from("a"), 1), "BucketNotFound");
    });
  });
}

void describe("file:// only", () => {
  let dir: string;
  let provider: Provider;
  before(async () => {
    dir = await makeTempDir("provider-writes-file");
    await mkdir(path.join(dir, "root"));
    provider = await build({ url: `file://${path.join(dir, "root")}` });
  });
  after(() => removeDir(dir));

  void test("put and delete refuse keys that leave the root or that no listing could give (.., absolute, empty or . segment, NUL, a temp file's name) with Invalid; nothing is written outside the root", async () => {
    const keys = [
      "../escape.yaml",
      "a/../../escape.yaml",
      "/abs.yaml",
      "a//b.yaml",
      "./c.yaml",
      "a/./c.yaml",
      "a/..",
      "nul\0.yaml",
      ".bucketops-write-0123456789abcdef.tmp",
    ];
    for (const key of keys) {
      await expectKind(provider.put(key, Buffer.from("x"), 1), "Invalid");
      await expectKind(provider.delete(key), "Invalid");
    }
    assert.deepEqual((await readdir(dir)).sort(), ["root"]);
    assert.deepEqual(await readdir(path.join(dir, "root")), []);
  });

  void test("writes leave no temp file behind (after success, Conflict and a short body), and a temp-named file is never listed", async () => {
    await provider.put("t/a.yaml", Buffer.from("a"), 1);
    await expectKind(provider.put("t/a.yaml", Buffer.from("b"), 1, { ifNoneExists: true }), "Conflict");
    await expectKind(
      provider.put("t/b.yaml", () => Readable.from([Buffer.from("b")]), 2),
      "Invalid",
    );
    assert.deepEqual(await readdir(path.join(dir, "root", "t")), ["a.yaml"]);
    await writeFile(path.join(dir, "root", "t", ".bucketops-write-00000000000000ff.tmp"), "partial");
    assert.deepEqual([...(await listAll(provider, "t/")).keys()], ["t/a.yaml"]);
  });

  void test("delete removes the folders it leaves empty up to the root, keeps folders that still hold files, and never the root", async () => {
    await provider.put("p/q/r/only.yaml", Buffer.from("1"), 1);
    await provider.put("p/keep.yaml", Buffer.from("2"), 1);
    await provider.delete("p/q/r/only.yaml");
    assert.deepEqual(await readdir(path.join(dir, "root", "p")), ["keep.yaml"]);
    await provider.delete("p/keep.yaml");
    assert.ok(!(await readdir(path.join(dir, "root"))).includes("p"), "p/ removed once empty");
    await readdir(path.join(dir, "root")); // the root stays
  });

  void test("put refuses a key whose folder is reached through a symlink (Invalid) and writes nothing there", async () => {
    const outside = path.join(dir, "outside");
    await mkdir(outside);
    await symlink(outside, path.join(dir, "root", "link"));
    await expectKind(provider.put("link/a.yaml", Buffer.from("x"), 1), "Invalid");
    assert.deepEqual(await readdir(outside), []);
  });
});

void describe("S3 (MinIO) behind a fault proxy that answers PutObject with 503", () => {
  let minio: MinioServer;
  let proxy: FaultProxy;
  let provider: Provider;
  before(async () => {
    minio = await startMinio();
    await minio.createBucket("retries");
    proxy = await startFaultProxy(minio.url);
    provider = await build(
      { provider: "generic", bucketName: "retries", endpoint: proxy.endpoint, insecure: true },
      { accesskey: minio.accessKey, secretkey: minio.secretKey },
    );
  });
  after(async () => {
    provider.close();
    await proxy.stop();
    await minio.stop();
  });

  // 8 MiB in 64 KiB chunks: more than the sockets buffer, so an attempt answered early leaves its stream unread.
  const body = Buffer.alloc(8 * 1024 * 1024, "retry me ");
  const streams: Readable[] = [];
  const factory = (): Readable => {
    const stream = Readable.from(
      (function* () {
        for (let at = 0; at < body.length; at += 65536) yield body.subarray(at, at + 65536);
      })(),
    );
    streams.push(stream);
    return stream;
  };

  void test("one 503 is retried with a fresh stream from the factory: two streams opened, the unread one closed, one put counted, the object holds the body", async () => {
    streams.length = 0;
    proxy.fault = { kind: "status", status: 503, count: 1, method: "PUT" };
    const put = await provider.put("retried.bin", factory, body.length);
    assert.equal(proxy.fault.count, 0, "the fault was hit");
    assert.equal(streams.length, 2);
    assert.ok(streams[0]?.destroyed, "the first attempt's stream was closed");
    assert.equal(provider.requests.put, 1);
    assert.equal((await provider.stat("retried.bin"))?.etag, put.etag);
    assert.equal(await text(provider, "retried.bin"), body.toString("utf8"));
  });

  void test("503 on every attempt fails with Transient after three attempts (three streams, all closed) and stores nothing", async () => {
    streams.length = 0;
    proxy.fault = { kind: "status", status: 503, count: 10, method: "PUT" };
    await expectKind(provider.put("never.bin", factory, body.length), "Transient");
    assert.equal(streams.length, 3);
    assert.ok(
      streams.every((s) => s.destroyed),
      "every stream was closed",
    );
    proxy.fault = undefined;
    assert.equal(await provider.stat("never.bin"), undefined);
  });
});

void describe("S3 (MinIO) with a wrong secret key", () => {
  let minio: MinioServer;
  before(async () => {
    minio = await startMinio();
    await minio.createBucket("refused");
  });
  after(() => minio.stop());

  void test("put, delete and stat fail with Unauthorized and no error message holds the secret key", async () => {
    const secret = "wrong-secret-4f1d9c2b7a";
    const provider = await build(
      { provider: "generic", bucketName: "refused", endpoint: minio.endpoint, insecure: true },
      { accesskey: minio.accessKey, secretkey: secret },
    );
    try {
      const errors = [
        await expectKind(provider.put("a.yaml", Buffer.from("a"), 1, { ifNoneExists: true }), "Unauthorized"),
        await expectKind(
          provider.put("b.yaml", () => Readable.from([Buffer.from("b")]), 1),
          "Unauthorized",
        ),
        await expectKind(provider.delete("a.yaml"), "Unauthorized"),
        await expectKind(provider.stat("a.yaml"), "Unauthorized"),
      ];
      for (const error of errors) {
        assert.ok(!error.message.includes(secret), error.message);
        assert.ok(!String(error.cause).includes(secret), String(error.cause));
      }
    } finally {
      provider.close();
    }
  });
});
