// The event-driven reconcile on a real MinIO (127.0.0.1): changes named by bucket events are applied to the stored
// scan with one HEAD each, no LIST, and the result is always what a full listing gives. Requests are counted on the
// wire (every HTTP request this process sends), not by the provider's own counters alone.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import dc from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import path from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { pino } from "pino";
import { initialStatus, type BucketStatus } from "../../src/api/status.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import { normalizeSpec } from "../../src/api/normalize.js";
import { DEFAULT_TUNING, reconcile, type ReconcileResult } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import { ContentCache } from "../../src/source/content-cache.js";
import type { ObjectChange } from "../../src/source/object-change.js";
import { controlFolder } from "../../src/engine/gate/gate-info.js";
import { serializeIndex } from "../../src/publish/index-object.js";
import { scanBucket } from "../../src/source/scan.js";
import { readScanState, scanStatePath } from "../../src/source/scan-state.js";
import { artifactFiles, assertReady, brief } from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { tempDir } from "../support/temp.js";

let minio: MinioServer;

before(async () => {
  minio = await startMinio();
});

after(async () => {
  await minio?.stop();
});

function bucketSpec(
  bucketName: string,
  extra: { prefix?: string; ignore?: string } = {},
): Record<string, unknown> {
  return {
    provider: "generic",
    bucketName,
    endpoint: minio.endpoint,
    insecure: true,
    prefix: extra.prefix ?? "",
    interval: "1h",
    timeout: "5m",
    secretRef: { name: "creds" },
    ...(extra.ignore === undefined ? {} : { ignore: extra.ignore }),
  };
}

async function makeEnv(t: TestContext): Promise<EngineEnv> {
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  return env;
}

/** reconcile() as default/bucket in `env`, with the changes bucket events named (undefined: the interval's). */
function sync(
  env: EngineEnv,
  spec: unknown,
  status: BucketStatus,
  changes?: readonly ObjectChange[],
): Promise<ReconcileResult> {
  return reconcile(
    { ref: { namespace: "default", name: "bucket" }, generation: 1, spec, status, changes },
    {
      store: env.store,
      readSecret: (ns, name) => Promise.resolve(ns === "default" ? env.secrets.get(name) : undefined),
      cacheRoot: path.join(env.dir, "cache"),
      logger: pino({ level: "silent" }),
      concurrency: 16,
    },
  );
}

/** S3 requests this process sent to MinIO while `run` ran, by kind (ListObjects, HeadObject, GetObject, other). */
async function onTheWire<T>(
  run: () => Promise<T>,
): Promise<{ result: T; list: number; head: number; get: number }> {
  const counts = { list: 0, head: 0, get: 0 };
  const onRequest = (message: unknown): void => {
    const { request } = message as { request: ClientRequest };
    if (request.getHeader("host") !== minio.endpoint) return;
    const query = request.path.split("?")[1] ?? "";
    if (request.method === "HEAD") counts.head++;
    else if (request.method === "GET" && /(^|&)list-type=2(&|$)|(^|&)prefix=/.test(query)) counts.list++;
    else if (request.method === "GET") counts.get++;
  };
  dc.subscribe("http.client.request.start", onRequest);
  try {
    const result = await run();
    return { result, ...counts };
  } finally {
    dc.unsubscribe("http.client.request.start", onRequest);
  }
}

/** What a fresh full listing (scanBucket with an empty cache) gives for the bucket now. */
async function freshListing(
  t: TestContext,
  spec: Record<string, unknown>,
): Promise<Awaited<ReturnType<typeof scanBucket>>> {
  const normalized = normalizeSpec(spec);
  const connection = await resolveConnection(normalized, "default", (_ns, name) =>
    Promise.resolve(
      name === "creds" ? { accesskey: minio.accessKey, secretkey: minio.secretKey } : undefined,
    ),
  );
  const provider = await createProvider(connection, DEFAULT_TUNING);
  try {
    const cache = new ContentCache(await tempDir(t, "fresh-cache"));
    return await scanBucket(provider, cache, {
      prefix: normalized.prefix,
      ignore: normalized.ignore,
      controlFolder: controlFolder(normalized), // as the engine lists: the push index is never published
    });
  } finally {
    provider.close();
  }
}

async function storedEntries(env: EngineEnv): Promise<unknown[] | undefined> {
  const cache = new ContentCache(path.join(env.dir, "cache/default/bucket"));
  const stored = await readScanState(scanStatePath((n) => cache.metaPath(n)));
  return stored ? [...stored.index] : undefined;
}

const put = (key: string): ObjectChange => ({ key, deleted: false });
const del = (key: string): ObjectChange => ({ key, deleted: true });

async function putObject(bucket: string, key: string, body: string): Promise<void> {
  await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function deleteObject(bucket: string, key: string): Promise<void> {
  await minio.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

test("10,000 objects: an event for one changed object stores a new artifact with 0 LIST, 1 HEAD and 1 GET on the wire; the next full listing and a fresh Bucket give the same revision and digest", async (t) => {
  const bucket = "events-big";
  await minio.createBucket(bucket);
  const files: Record<string, string> = {};
  for (let i = 0; i < 10_000; i++) {
    files[`apps/team-${i % 10}/app-${Math.floor(i / 10) % 10}/m-${String(i).padStart(5, "0")}.yaml`] =
      `id: ${i}\n`;
  }
  await minio.putObjects(bucket, [...Object.entries(files), ["other/outside.yaml", "x\n"]]);
  const spec = bucketSpec(bucket, { prefix: "apps/" });
  const env = await makeEnv(t);

  const full = await onTheWire(() => sync(env, spec, initialStatus()));
  t.diagnostic(`full: ${brief(full.result)}; wire LIST ${full.list} HEAD ${full.head} GET ${full.get}`);
  assert.equal(full.result.outcome, "stored", full.result.error?.message);
  assert.equal(full.result.stats.scan, "full");
  assert.ok(full.list >= 11, "10 pages or more, and the root .sourceignore lookup");
  assert.equal(full.result.stats.listRequests, full.list, "the provider counts what went on the wire");

  const key = "apps/team-7/app-0/m-00007.yaml";
  await putObject(bucket, key, "id: 7\nchanged: true\n");
  const event = await onTheWire(() => sync(env, spec, full.result.status, [put(key)]));
  t.diagnostic(`event: ${brief(event.result)}; wire LIST ${event.list} HEAD ${event.head} GET ${event.get}`);
  assert.equal(event.result.outcome, "stored", event.result.error?.message);
  assert.equal(event.result.stats.scan, "incremental");
  assert.deepEqual([event.list, event.head, event.get], [0, 1, 1], "wire: LIST, HEAD, GET");
  assert.deepEqual(
    [event.result.stats.listRequests, event.result.stats.headRequests, event.result.stats.getRequests],
    [0, 1, 1],
    "stats: LIST, HEAD, GET",
  );
  const artifact = assertReady(event.result);
  assert.notEqual(artifact.revision, full.result.status.artifact?.revision);
  const published = await artifactFiles(env, artifact);
  assert.equal(published.size, 10_000);
  assert.equal(published.get(key), "id: 7\nchanged: true\n");

  const interval = await sync(env, spec, event.result.status);
  assert.equal(interval.outcome, "unchanged", interval.error?.message);
  assert.equal(interval.stats.scan, "full");
  assert.deepEqual(assertReady(interval), artifact);

  const other = await makeEnv(t);
  const fresh = await sync(other, spec, initialStatus());
  const rebuilt = assertReady(fresh);
  assert.deepEqual([rebuilt.revision, rebuilt.digest], [artifact.revision, artifact.digest]);
});

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

test("randomized puts, overwrites and deletes with duplicated, reordered and late events: each event-driven revision equals a fresh listing's; after a lost event the next interval listing corrects it", async (t) => {
  const seed = Number(process.env.EVENTS_SEED ?? 20261201);
  t.diagnostic(`seed ${seed} (EVENTS_SEED replays it)`);
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const bucket = "events-random";
  await minio.createBucket(bucket);
  // Published keys, an ignored one (spec.ignore), one outside the prefix, and a folder marker.
  const keys = [
    ...Array.from({ length: 12 }, (_, i) => `p/a/${i}.yaml`),
    ...Array.from({ length: 6 }, (_, i) => `p/b/c/${i}.yaml`),
    "p/scratch.tmp",
    "q/outside.yaml",
    "p/folder/",
  ];
  const spec = bucketSpec(bucket, { prefix: "p/", ignore: "*.tmp" });
  await minio.putObjects(
    bucket,
    keys.slice(0, 10).map((key) => [key, `${key} v0\n`]),
  );
  const env = await makeEnv(t);
  let status = (await sync(env, spec, initialStatus())).status;
  const history: ObjectChange[] = [];
  let version = 0;
  let diverged = 0;
  let corrected = 0;
  const steps = 40;
  for (let step = 0; step < steps; step++) {
    const events: ObjectChange[] = [];
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
      const key = pick(keys);
      if (random() < 0.3) {
        await deleteObject(bucket, key);
        events.push(del(key));
      } else {
        await putObject(bucket, key, key.endsWith("/") ? "" : `${key} v${++version}\n`);
        events.push(put(key));
      }
    }
    history.push(...events);
    const lost = random() < 0.15;
    if (lost) events.splice(Math.floor(random() * events.length), 1);
    if (random() < 0.3) events.push(pick(events.length > 0 ? events : history)); // duplicated
    if (random() < 0.3) events.push(pick(history)); // a late event from an earlier step
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [events[i], events[j]] = [events[j] as ObjectChange, events[i] as ObjectChange]; // reordered
    }
    const result = await sync(env, spec, status, events);
    assert.ok(result.outcome === "stored" || result.outcome === "unchanged", result.error?.message);
    assert.equal(result.stats.scan, "incremental", `step ${step}`);
    assert.equal(result.stats.listRequests, 0, `step ${step}: no LIST`);
    status = result.status;
    const want = await freshListing(t, spec);
    const revision = assertReady(result).revision;
    if (!lost) {
      assert.equal(revision, want.index.revision(), `step ${step}: revision equals a fresh listing's`);
      assert.deepEqual(await storedEntries(env), [...want.index], `step ${step}: stored index bit for bit`);
      continue;
    }
    if (revision !== want.index.revision()) diverged++;
    const interval = await sync(env, spec, status);
    assert.equal(interval.stats.scan, "full");
    assert.equal(
      assertReady(interval).revision,
      want.index.revision(),
      `step ${step}: the interval corrects it`,
    );
    assert.deepEqual(await storedEntries(env), [...want.index]);
    status = interval.status;
    corrected++;
  }
  t.diagnostic(
    `${steps} steps: ${corrected} with a lost event, ${diverged} of them diverged until the interval listing`,
  );
  assert.ok(
    diverged > 0,
    "the sequence lost at least one event that mattered (else the correction is untested)",
  );
});

test("fallbacks on MinIO: an event for .sourceignore or for the index object lists the prefix (LIST > 0) and publishes what a fresh listing gives", async (t) => {
  const bucket = "events-fallback";
  await minio.createBucket(bucket);
  await minio.putObjects(bucket, [
    ["apps/a.yaml", "a\n"],
    ["apps/skip/b.yaml", "b\n"],
  ]);
  const spec = bucketSpec(bucket, { prefix: "apps/" });
  const env = await makeEnv(t);
  const first = await sync(env, spec, initialStatus());
  assert.equal(first.outcome, "stored", first.error?.message);

  await putObject(bucket, ".sourceignore", "skip/\n");
  const ignoreEvent = await onTheWire(() => sync(env, spec, first.status, [put(".sourceignore")]));
  assert.equal(ignoreEvent.result.stats.scan, "full");
  assert.ok(ignoreEvent.list > 0, `LIST on the wire: ${ignoreEvent.list}`);
  const afterIgnore = assertReady(ignoreEvent.result);
  assert.deepEqual([...(await artifactFiles(env, afterIgnore)).keys()], ["apps/a.yaml"]);
  assert.equal(afterIgnore.revision, (await freshListing(t, spec)).index.revision());

  await putObject(bucket, "apps/c.yaml", "c\n");
  // A push's index, written last: it names the files of the push (c.yaml is new), so the gate publishes them.
  const file = (text: string): { sha256: string; size: number } => ({
    sha256: createHash("sha256").update(text).digest("hex"),
    size: Buffer.byteLength(text),
  });
  const index = serializeIndex({
    apiVersion: "bucketops.io/v1",
    kind: "BucketIndex",
    createdAt: new Date().toISOString(),
    tool: "bucketops/test",
    files: { "a.yaml": file("a\n"), "c.yaml": file("c\n") },
  });
  await putObject(bucket, "apps/.bucketops/index.json", index.toString("utf8"));
  const indexEvent = await onTheWire(() =>
    sync(env, spec, ignoreEvent.result.status, [put("apps/.bucketops/index.json")]),
  );
  assert.equal(indexEvent.result.stats.scan, "full");
  assert.ok(indexEvent.list > 0, `LIST on the wire: ${indexEvent.list}`);
  const afterIndex = assertReady(indexEvent.result);
  assert.ok(
    (await artifactFiles(env, afterIndex)).has("apps/c.yaml"),
    "the push's other keys came with the listing",
  );
  assert.equal(afterIndex.revision, (await freshListing(t, spec)).index.revision());
});
