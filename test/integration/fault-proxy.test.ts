// Faults between bucketops and a real MinIO: Toxiproxy (TCP: cuts with Content-Length, resets and stalls
// mid-body) and an altering HTTP proxy (cuts without Content-Length, a flipped byte, 5xx, an object overwritten
// between listing and GET). After each fault the faulty reconcile publishes nothing (the last good artifact stays,
// on disk and in status) and the next clean reconcile publishes the bucket byte for byte.
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { findCondition, type Artifact, type BucketStatus } from "../../src/api/status.js";
import type { ReconcileResult } from "../../src/engine/reconcile.js";
import { artifactBuffers, assertReady, brief, sha256File } from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { startToxiproxy, type ToxiproxyServer } from "../support/toxiproxy.js";
import { waitFor } from "../support/wait.js";

type Files = Record<string, Buffer>;

const BIG = 2_097_152; // over the content cache's 1 MiB pack limit: a file of its own
let minio: MinioServer;
let toxiproxy: ToxiproxyServer;
let toxiEndpoint: string;
let proxy: FaultProxy;
let bucketSeq = 0;

before(async () => {
  minio = await startMinio();
  toxiproxy = await startToxiproxy();
  toxiEndpoint = await toxiproxy.createProxy("minio", minio.endpoint);
  proxy = await startFaultProxy(minio.url);
});

after(async () => {
  await proxy?.stop();
  await toxiproxy?.stop();
  await minio?.stop();
});

function spec(bucketName: string, endpoint: string, timeout = "60s"): Record<string, unknown> {
  return {
    provider: "generic",
    bucketName,
    endpoint,
    insecure: true,
    interval: "5m",
    timeout,
    secretRef: { name: "creds" },
  };
}

/** A bucket's first content: one big object, a mid-sized one, small text files. */
function firstContent(): Files {
  return {
    "big.bin": randomBytes(BIG),
    "mid.bin": randomBytes(300_000),
    "apps/a.yaml": Buffer.from("name: a\nreplicas: 1\n"),
    "apps/b.yaml": Buffer.from("name: b\nreplicas: 2\n"),
  };
}

/** What changes after the first reconcile: the big object and a small file, so both cache paths are fetched. */
function secondContent(): Files {
  return { "big.bin": randomBytes(BIG), "apps/a.yaml": Buffer.from("name: a\nreplicas: 3\n") };
}

async function assertArtifactIs(env: EngineEnv, artifact: Artifact, expected: Files): Promise<void> {
  const actual = await artifactBuffers(env, artifact);
  assert.deepEqual([...actual.keys()].sort(), Object.keys(expected).sort(), "the artifact's file names");
  for (const [name, bytes] of Object.entries(expected)) {
    assert.ok(actual.get(name)?.equals(bytes), `${name}: the artifact's bytes equal the bucket's`);
  }
}

/** The storage folder of a Bucket: file names and the digest latest.tar.gz serves. */
async function storageSnapshot(env: EngineEnv, name: string): Promise<{ files: string[]; latest: string }> {
  const dir = path.join(env.dir, "storage", "bucket", "default", name);
  const files = (await readdir(dir)).sort();
  return { files, latest: await sha256File(path.join(dir, "latest.tar.gz")) };
}

/** Resolves once the cache has a temp file of at least `bytes` (a big body is being written), polling. */
async function whenBodyPasses(env: EngineEnv, name: string, bytes: number): Promise<void> {
  const dir = path.join(env.dir, "cache", "default", name);
  await waitFor(
    `a body of ${bytes} bytes in ${dir}`,
    async () => {
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (!f.startsWith(".tmp-")) continue;
        const size = await stat(path.join(dir, f)).then(
          (s) => s.size,
          () => 0,
        );
        if (size >= bytes) return true;
      }
      return false;
    },
    { timeoutMs: 60_000, intervalMs: 10 },
  );
}

interface Scenario {
  /** The endpoint the Bucket uses: Toxiproxy's or the altering proxy's. */
  endpoint: () => string;
  timeout?: string;
  /** Runs the faulty reconcile with the fault on (sets it before, or while it runs). */
  faulty: (
    sync: () => Promise<ReconcileResult>,
    ctx: { env: EngineEnv; name: string },
  ) => Promise<ReconcileResult>;
  /** Turns the fault off. */
  clear: () => Promise<void>;
  /** Objects the fault itself rewrote in the bucket (their new content). */
  rewritten?: Files;
}

/**
 * good reconcile → change the bucket → faulty reconcile (must fail, publish nothing) → fault off → clean reconcile
 * (must publish the changed bucket byte for byte). Returns the faulty and clean results.
 */
async function runScenario(
  t: TestContext,
  s: Scenario,
): Promise<{ faulty: ReconcileResult; clean: ReconcileResult }> {
  const name = `fault-${++bucketSeq}`;
  await minio.createBucket(name);
  const files = firstContent();
  await minio.putObjects(name, Object.entries(files));
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  const bucket = spec(name, s.endpoint(), s.timeout);
  const sync = (status?: BucketStatus): Promise<ReconcileResult> => env.sync(bucket, status, name);

  const good = await sync();
  const goodArtifact = assertReady(good);
  await assertArtifactIs(env, goodArtifact, files);
  const before = await storageSnapshot(env, name);

  const changed = secondContent();
  await minio.putObjects(name, Object.entries(changed));
  let faulty: ReconcileResult;
  try {
    faulty = await s.faulty(() => sync(good.status), { env, name });
  } finally {
    await s.clear();
  }
  t.diagnostic(`faulty: ${brief(faulty)}: ${faulty.error?.message ?? ""}`);
  assert.equal(faulty.outcome, "failed", "the faulty reconcile fails");
  assert.deepEqual(faulty.status.artifact, goodArtifact, "status keeps the last good artifact");
  assert.equal(findCondition(faulty.status, "Ready")?.status, "False");
  assert.deepEqual(await storageSnapshot(env, name), before, "storage still serves the last good artifact");
  await assertArtifactIs(env, goodArtifact, files);

  const clean = await sync(faulty.status);
  t.diagnostic(`clean: ${brief(clean)}: ${clean.error?.message ?? ""}`);
  assert.equal(clean.outcome, "stored", `the clean reconcile stores: ${clean.error?.message ?? ""}`);
  await assertArtifactIs(env, assertReady(clean), { ...files, ...changed, ...s.rewritten });
  return { faulty, clean };
}

const clearProxy = (): Promise<void> => {
  proxy.fault = undefined;
  return Promise.resolve();
};
const faultedGets = (key: string): number => proxy.gets.filter((g) => g.key === key && g.faulted).length;

void test("a 2,097,152-byte object cut at 1,500,000 bytes without Content-Length is never cached: the clean reconcile heals", async (t) => {
  proxy.gets = [];
  const { faulty, clean } = await runScenario(t, {
    endpoint: () => proxy.endpoint,
    faulty: (sync) => {
      proxy.fault = { kind: "cut", key: "big.bin", at: 1_500_000, contentLength: false };
      return sync();
    },
    clear: clearProxy,
  });
  assert.match(
    faulty.error?.message ?? "",
    /"big\.bin".*size 1500000 bytes does not match the listing's 2097152/,
  );
  assert.equal(faultedGets("big.bin"), 3, "each of the 3 attempts was cut");
  assert.ok(clean.stats.getRequests >= 1, "the clean reconcile downloaded big.bin again");
});

void test("a body cut short with Content-Length (Toxiproxy limit_data) fails the reconcile; the clean one heals", async (t) => {
  const { faulty } = await runScenario(t, {
    endpoint: () => toxiEndpoint,
    faulty: async (sync) => {
      await toxiproxy.addToxic("minio", {
        name: "cut",
        type: "limit_data",
        attributes: { bytes: 1_500_000 },
      });
      return sync();
    },
    clear: () => toxiproxy.reset(),
  });
  assert.match(faulty.error?.message ?? "", /"big\.bin": body broke off after \d+ of 2097152 bytes/);
});

void test("a connection reset mid-body (Toxiproxy reset_peer while the big body streams) fails; the clean one heals", async (t) => {
  const { faulty } = await runScenario(t, {
    endpoint: () => toxiEndpoint,
    faulty: async (sync, { env, name }) => {
      // Slowed down so the body is still streaming when the reset toxic arrives.
      await toxiproxy.addToxic("minio", { name: "slow", type: "bandwidth", attributes: { rate: 512 } });
      const running = sync();
      await whenBodyPasses(env, name, 300_000);
      await toxiproxy.addToxic("minio", { name: "reset", type: "reset_peer", attributes: { timeout: 0 } });
      return running;
    },
    clear: () => toxiproxy.reset(),
  });
  assert.equal(faulty.error?.reason, "BucketOperationFailed");
});

void test("a stall mid-body beyond spec.timeout (Toxiproxy timeout toxic) fails as timed out; the clean one heals", async (t) => {
  const started = { at: 0 };
  const { faulty } = await runScenario(t, {
    endpoint: () => toxiEndpoint,
    timeout: "6s",
    faulty: async (sync, { env, name }) => {
      await toxiproxy.addToxic("minio", { name: "slow", type: "bandwidth", attributes: { rate: 512 } });
      started.at = Date.now();
      const running = sync();
      await whenBodyPasses(env, name, 300_000);
      await toxiproxy.addToxic("minio", { name: "stall", type: "timeout", attributes: { timeout: 0 } });
      return running;
    },
    clear: () => toxiproxy.reset(),
  });
  assert.match(faulty.error?.message ?? "", /timed out/);
  const took = Date.now() - started.at;
  assert.ok(took < 20_000, `the stalled reconcile ended at its 6 s timeout, not later (${took} ms)`);
});

void test("one flipped byte at the same length in the big object is never published (MD5 check); the clean one heals", async (t) => {
  proxy.gets = [];
  const { faulty } = await runScenario(t, {
    endpoint: () => proxy.endpoint,
    faulty: (sync) => {
      proxy.fault = { kind: "flip", key: "big.bin", offset: 1_000_000 };
      return sync();
    },
    clear: clearProxy,
  });
  assert.match(
    faulty.error?.message ?? "",
    /"big\.bin".*MD5 [0-9a-f]{32} does not match the listing's [0-9a-f]{32}/,
  );
  assert.equal(faultedGets("big.bin"), 3, "retried as transient: 3 attempts");
});

void test("one flipped byte in a small (packed) object is never published either; the clean one heals", async (t) => {
  const { faulty } = await runScenario(t, {
    endpoint: () => proxy.endpoint,
    faulty: (sync) => {
      proxy.fault = { kind: "flip", key: "apps/a.yaml", offset: 5 };
      return sync();
    },
    clear: clearProxy,
  });
  assert.match(faulty.error?.message ?? "", /"apps\/a\.yaml".*MD5/);
});

void test("5xx on every object GET fails the reconcile; the clean one heals", async (t) => {
  const { faulty } = await runScenario(t, {
    endpoint: () => proxy.endpoint,
    faulty: (sync) => {
      proxy.fault = { kind: "status", status: 503, count: Number.POSITIVE_INFINITY };
      return sync();
    },
    clear: clearProxy,
  });
  assert.match(faulty.error?.message ?? "", /SlowDown/);
});

void test("a burst of two 503s is retried within the reconcile, which publishes the changed bucket byte for byte", async (t) => {
  const name = `fault-${++bucketSeq}`;
  await minio.createBucket(name);
  const files = firstContent();
  await minio.putObjects(name, Object.entries(files));
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  const bucket = spec(name, proxy.endpoint);
  const good = await env.sync(bucket, undefined, name);
  assertReady(good);
  const changed = secondContent();
  await minio.putObjects(name, Object.entries(changed));
  proxy.gets = [];
  const burst = { kind: "status" as const, status: 503, count: 2 };
  proxy.fault = burst;
  let result: ReconcileResult;
  try {
    result = await env.sync(bucket, good.status, name);
  } finally {
    proxy.fault = undefined;
  }
  assert.equal(result.outcome, "stored", result.error?.message);
  assert.equal(burst.count, 0, "both 503s were sent");
  assert.equal(proxy.gets.filter((g) => g.faulted).length, 2);
  await assertArtifactIs(env, assertReady(result), { ...files, ...changed });
});

void test("an object overwritten between listing and GET: If-Match gets 412, retried as transient; the next reconcile gets the new content", async (t) => {
  proxy.gets = [];
  const name = `fault-${bucketSeq + 1}`; // the bucket runScenario creates next
  const newest = Buffer.from("name: a\nreplicas: 9\n");
  let faultyGets = 0;
  const { faulty } = await runScenario(t, {
    endpoint: () => proxy.endpoint,
    faulty: (sync) => {
      proxy.fault = {
        kind: "before",
        key: "apps/a.yaml",
        run: async () => {
          await minio.client.send(new PutObjectCommand({ Bucket: name, Key: "apps/a.yaml", Body: newest }));
        },
      };
      proxy.gets = [];
      return sync().finally(() => (faultyGets = proxy.gets.filter((g) => g.key === "apps/a.yaml").length));
    },
    clear: clearProxy,
    rewritten: { "apps/a.yaml": newest }, // the clean reconcile must publish this, not the content listed before
  });
  assert.match(faulty.error?.message ?? "", /apps\/a\.yaml: object changed while it was being fetched/);
  assert.equal(faultyGets, 3, "the faulty reconcile tried 3 times, each answered 412");
});
