// Engine-level integration tests: reconcile() against a real MinIO on 127.0.0.1 (the acceptance matrix).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { pino } from "pino";
import tar from "tar-stream";
import { findCondition, initialStatus, type Artifact, type BucketStatus } from "../../src/api/status.js";
import { extractTarGz } from "../../src/artifact/extract.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { reconcile, type EngineDeps, type ReconcileResult } from "../../src/engine/reconcile.js";
import type { BucketProvider, ObjectInfo } from "../../src/providers/types.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { assertSafeKey, UnsafeKeyError } from "../../src/source/safe-key.js";
import { scanBucket } from "../../src/source/scan.js";
import { ArtifactStore, type BucketRef } from "../../src/storage/artifact-store.js";
import { startMinio, type MinioServer } from "../support/minio.js";

// ---------------------------------------------------------------------------------------------------------------
// Helpers

let minio: MinioServer;

before(async () => {
  minio = await startMinio();
});

after(async () => {
  await minio?.stop();
});

const NAMESPACE = "default";
const REF: BucketRef = { namespace: NAMESPACE, name: "demo" };

/** The long form of a Bucket spec pointing at the test MinIO. */
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
    interval: "5m",
    secretRef: { name: "creds" },
    ...(extra.ignore === undefined ? {} : { ignore: extra.ignore }),
  };
}

function goodCreds(): SecretData {
  return { accesskey: minio.accessKey, secretkey: minio.secretKey };
}

interface Env {
  dir: string;
  store: ArtifactStore;
  /** Secrets of NAMESPACE by name; tests edit it between reconciles. */
  secrets: Map<string, SecretData>;
  deps: EngineDeps;
  /** One reconcile of `spec`, fed the previous status. */
  sync(spec: unknown, status: BucketStatus, ref?: BucketRef): Promise<ReconcileResult>;
}

/** A fresh storage root and cache root in a temp dir (removed after the test), with a good "creds" Secret. */
async function makeEnv(t: TestContext): Promise<Env> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bucketops-engine-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new ArtifactStore({
    root: path.join(dir, "storage"),
    baseUrl: "http://127.0.0.1:1",
    retentionRecords: 2,
    retentionTtlMs: 60_000,
  });
  const secrets = new Map<string, SecretData>([["creds", goodCreds()]]);
  const deps: EngineDeps = {
    store,
    readSecret: (namespace, name) => Promise.resolve(namespace === NAMESPACE ? secrets.get(name) : undefined),
    cacheRoot: path.join(dir, "cache"),
    logger: pino({ level: "silent" }),
    concurrency: 16,
  };
  return {
    dir,
    store,
    secrets,
    deps,
    sync: (spec, status, ref = REF) => reconcile({ ref, generation: 1, spec, status }, deps),
  };
}

async function upload(bucket: string, files: Record<string, string>): Promise<void> {
  await minio.putObjects(bucket, Object.entries(files));
}

async function deleteObject(bucket: string, key: string): Promise<void> {
  await minio.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

async function listKeys(bucket: string): Promise<string[]> {
  const out = await minio.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key ?? "");
}

function assertReady(result: ReconcileResult): Artifact {
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "True", `Ready should be True: ${ready?.message ?? "no Ready condition"}`);
  assert.equal(ready.reason, "Succeeded");
  assert.ok(result.status.artifact, "status.artifact is set");
  return result.status.artifact;
}

function assertFailed(result: ReconcileResult, reason: string): string {
  assert.equal(result.outcome, "failed");
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready.reason, reason, `Ready reason (message: ${ready.message})`);
  const fetchFailed = findCondition(result.status, "FetchFailed");
  assert.equal(fetchFailed?.status, "True");
  assert.equal(fetchFailed.reason, reason);
  return ready.message;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/** Extracts a stored artifact and returns its files (path → content). */
async function artifactFiles(env: Env, artifact: Artifact): Promise<Map<string, string>> {
  const out = await mkdtemp(path.join(env.dir, "extract-"));
  const names = await extractTarGz(createReadStream(env.store.absolute(artifact.path)), out);
  const files = new Map<string, string>();
  for (const name of names) files.set(name, await readFile(path.join(out, name), "utf8"));
  await rm(out, { recursive: true, force: true });
  return files;
}

function assertSameFiles(actual: Map<string, string>, expected: Record<string, string>): void {
  assert.deepEqual([...actual.keys()].sort(), Object.keys(expected).sort());
  for (const [name, content] of Object.entries(expected))
    assert.equal(actual.get(name), content, `content of ${name}`);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

// ---------------------------------------------------------------------------------------------------------------
// 1-4: first sync of a large prefix, then unchanged, one object changed, one deleted

test("incremental sync of a 2,600-object prefix", async (t) => {
  const env = await makeEnv(t);
  const bucket = "engine-big";
  await minio.createBucket(bucket);
  const files: Record<string, string> = {};
  for (let i = 0; i < 2600; i++) {
    files[`apps/team-${i % 5}/svc-${i % 26}/cfg-${String(i).padStart(4, "0")}.yaml`] =
      `id: ${i}\nteam: ${i % 5}\n`;
  }
  const t0 = Date.now();
  await upload(bucket, {
    ...files,
    "other/outside-prefix.yaml": "not published\n",
    "apps-old/also-outside.yaml": "x\n",
  });
  t.diagnostic(`uploaded 2,602 objects in ${seconds(Date.now() - t0)}`);
  const spec = bucketSpec(bucket, { prefix: "apps/" });
  let status = initialStatus();
  let first: Artifact | undefined;
  let third: Artifact | undefined;

  await t.test("1. first sync publishes exactly the uploaded files", async (t) => {
    const result = await env.sync(spec, status);
    status = result.status;
    t.diagnostic(`first sync: ${JSON.stringify(result.stats)}`);
    assert.equal(result.outcome, "stored");
    const artifact = assertReady(result);
    first = artifact;
    assert.ok(
      result.stats.listRequests >= 3,
      `ListObjectsV2 paginated (listRequests=${result.stats.listRequests})`,
    );
    assert.equal(result.stats.objects, 2600);
    assert.equal(result.stats.downloaded, 2600);
    assert.equal(result.stats.getRequests, 2600);
    assert.equal(await sha256File(env.store.absolute(artifact.path)), artifact.digest);
    assert.equal(artifact.size, (await readFile(env.store.absolute(artifact.path))).length);
    assert.match(artifact.revision, /^sha256:[0-9a-f]{64}$/);
    assert.equal(status.url, env.store.latestUrl(REF));
    assertSameFiles(await artifactFiles(env, artifact), files);
  });

  await t.test("2. nothing changed: no GET, same artifact", async (t) => {
    const result = await env.sync(spec, status);
    t.diagnostic(`unchanged: ${JSON.stringify(result.stats)}`);
    assert.equal(result.outcome, "unchanged");
    assert.equal(result.stats.getRequests, 0);
    assert.equal(result.stats.downloaded, 0);
    assert.deepEqual(assertReady(result), status.artifact);
    assert.deepEqual(result.events, []);
    status = result.status;
  });

  const changedKey = "apps/team-0/svc-0/cfg-0000.yaml";
  await t.test("3. one object changed: exactly one GET, new revision, NewArtifact event", async (t) => {
    await upload(bucket, { [changedKey]: "id: 0\nchanged: true\n" });
    const before = status.artifact;
    const result = await env.sync(spec, status);
    t.diagnostic(`one changed: ${JSON.stringify(result.stats)}`);
    assert.equal(result.outcome, "stored");
    const artifact = assertReady(result);
    third = artifact;
    assert.equal(result.stats.downloaded, 1);
    assert.equal(result.stats.getRequests, 1);
    assert.equal(result.stats.cacheHits, 2599);
    assert.notEqual(artifact.revision, before?.revision);
    assert.notEqual(artifact.digest, before?.digest);
    assert.equal(await sha256File(env.store.absolute(artifact.path)), artifact.digest);
    const event = result.events.find((e) => e.reason === "NewArtifact");
    assert.ok(event, "NewArtifact event");
    assert.equal(event.type, "Normal");
    assert.equal(event.annotations?.["source.toolkit.fluxcd.io/revision"], artifact.revision);
    assert.equal(event.annotations?.["source.toolkit.fluxcd.io/digest"], artifact.digest);
    assertSameFiles(await artifactFiles(env, artifact), { ...files, [changedKey]: "id: 0\nchanged: true\n" });
    status = result.status;
  });

  await t.test("4. one object deleted: gone from the artifact, nothing downloaded", async (t) => {
    const deletedKey = "apps/team-1/svc-1/cfg-0001.yaml";
    await deleteObject(bucket, deletedKey);
    const result = await env.sync(spec, status);
    t.diagnostic(`one deleted: ${JSON.stringify(result.stats)}`);
    assert.equal(result.outcome, "stored");
    const artifact = assertReady(result);
    assert.equal(result.stats.objects, 2599);
    assert.equal(result.stats.downloaded, 0);
    assert.equal(result.stats.getRequests, 0);
    const contents = await artifactFiles(env, artifact);
    assert.equal(contents.has(deletedKey), false);
    const expected = Object.fromEntries(
      Object.entries({ ...files, [changedKey]: "id: 0\nchanged: true\n" }).filter(
        ([key]) => key !== deletedKey,
      ),
    );
    assertSameFiles(contents, expected);
    // retentionRecords: 2 keeps this artifact and the previous one; the first is garbage-collected.
    assert.ok(first && third);
    assert.equal(await env.store.exists(artifact), true);
    assert.equal(await env.store.exists(third), true);
    assert.equal(await env.store.exists(first), false);
    status = result.status;
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 5: .sourceignore and spec.ignore

test("5. .sourceignore at the bucket root and spec.ignore exclude what they name; later rules win", async (t) => {
  const env = await makeEnv(t);
  const bucket = "engine-ignore";
  await minio.createBucket(bucket);
  await upload(bucket, {
    ".sourceignore": "# root rules apply even with a prefix\n*.md\nsecret-*.yaml\n",
    "app/deploy.yaml": "kind: Deployment\n",
    "app/README.md": "# docs\n",
    "app/secret-db.yaml": "password: no\n",
    "app/secret-keep.yaml": "kept: by spec.ignore\n",
    "app/tmp/scratch.txt": "scratch\n",
    "other/outside.yaml": "outside the prefix\n",
  });
  const ignore = "tmp/\n!secret-keep.yaml\n";
  const spec = bucketSpec(bucket, { prefix: "app", ignore });

  const result = await env.sync(spec, initialStatus());
  t.diagnostic(`ignore: ${JSON.stringify(result.stats)}`);
  const artifact = assertReady(result);
  assertSameFiles(await artifactFiles(env, artifact), {
    "app/deploy.yaml": "kind: Deployment\n",
    "app/secret-keep.yaml": "kept: by spec.ignore\n",
  });
  assert.equal(result.stats.listed, 5);
  assert.equal(result.stats.ignored, 3);
  assert.equal(result.status.observedIgnore, ignore);
  assert.equal(result.stats.getRequests, 3, "the root .sourceignore plus the two published files");

  // The cached .sourceignore costs no GET next time.
  const again = await env.sync(spec, result.status);
  assert.equal(again.outcome, "unchanged");
  assert.equal(again.stats.getRequests, 0);

  // Dropping the re-include lets .sourceignore exclude the file again, and observedIgnore follows spec.ignore.
  const narrower = await env.sync(bucketSpec(bucket, { prefix: "app", ignore: "tmp/\n" }), again.status);
  assert.equal(narrower.outcome, "stored");
  assertSameFiles(await artifactFiles(env, assertReady(narrower)), {
    "app/deploy.yaml": "kind: Deployment\n",
  });
  assert.equal(narrower.status.observedIgnore, "tmp/\n");
  assert.equal(narrower.stats.getRequests, 0);
});

// ---------------------------------------------------------------------------------------------------------------
// 6-8: credentials and bucket failures

test("6. wrong credentials after a good sync: AuthenticationFailed, the last good artifact keeps serving", async (t) => {
  const env = await makeEnv(t);
  const bucket = "engine-auth";
  await minio.createBucket(bucket);
  await upload(bucket, { "a.yaml": "a: 1\n", "b/c.yaml": "c: 2\n" });
  const spec = bucketSpec(bucket);
  const good = await env.sync(spec, initialStatus());
  const artifact = assertReady(good);

  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: "definitely-not-the-secret" });
  const bad = await env.sync(spec, good.status);
  const message = assertFailed(bad, "AuthenticationFailed");
  t.diagnostic(`bad secretkey: ${message}`);
  assert.deepEqual(bad.status.artifact, artifact);
  assert.equal(await env.store.exists(artifact), true);
  assert.equal(await sha256File(env.store.absolute(artifact.path)), artifact.digest);
  assert.equal(findCondition(bad.status, "ArtifactInStorage")?.status, "True");
  assert.equal(findCondition(bad.status, "Reconciling")?.reason, "ProgressingWithRetry");
  assert.equal(bad.events[0]?.type, "Warning");
  assert.equal(JSON.stringify(bad).includes("definitely-not-the-secret"), false);

  // Fixing the Secret recovers without downloading anything again.
  env.secrets.set("creds", goodCreds());
  const fixed = await env.sync(spec, bad.status);
  assert.equal(fixed.outcome, "unchanged");
  assert.deepEqual(assertReady(fixed), artifact);
  assert.equal(findCondition(fixed.status, "FetchFailed"), undefined);
  assert.equal(fixed.stats.getRequests, 0);
});

test("7. missing Secret, and a Secret missing keys: named in the message, values never shown", async (t) => {
  const env = await makeEnv(t);
  const bucket = "engine-secret";
  await minio.createBucket(bucket);
  await upload(bucket, { "a.yaml": "a: 1\n" });

  env.secrets.delete("creds");
  const missing = await env.sync(bucketSpec(bucket), initialStatus());
  const missingMessage = assertFailed(missing, "AuthenticationFailed");
  assert.match(missingMessage, /Secret 'default\/creds' not found/);
  assert.equal(missing.status.artifact, undefined);
  assert.equal(findCondition(missing.status, "ArtifactInStorage")?.status, "False");
  assert.equal(missing.stats.listRequests, 0, "nothing is sent without credentials");

  const accessValue = "AKIA-ONLY-IN-THE-SECRET-1234";
  env.secrets.set("creds", { accesskey: accessValue });
  const noSecretKey = await env.sync(bucketSpec(bucket), missing.status);
  const noSecretKeyMessage = assertFailed(noSecretKey, "AuthenticationFailed");
  assert.match(noSecretKeyMessage, /secretkey/);
  assert.match(noSecretKeyMessage, /AWS_SECRET_ACCESS_KEY/);
  assert.equal(noSecretKeyMessage.includes(accessValue), false);
  assert.equal(JSON.stringify(noSecretKey).includes(accessValue), false);

  const secretValue = "s3cr3t-value-that-must-not-leak";
  env.secrets.set("creds", { secretkey: secretValue, unrelated: "x" });
  const noAccessKey = await env.sync(bucketSpec(bucket), noSecretKey.status);
  const noAccessKeyMessage = assertFailed(noAccessKey, "AuthenticationFailed");
  t.diagnostic(`missing key: ${noAccessKeyMessage}`);
  assert.match(noAccessKeyMessage, /accesskey/);
  assert.match(noAccessKeyMessage, /AWS_ACCESS_KEY_ID/);
  assert.equal(noAccessKeyMessage.includes(secretValue), false);
  assert.equal(JSON.stringify(noAccessKey).includes(secretValue), false);
});

test("8. a bucket that does not exist: BucketOperationFailed", async (t) => {
  const env = await makeEnv(t);
  const result = await env.sync(bucketSpec("engine-no-such-bucket", { prefix: "x/" }), initialStatus());
  const message = assertFailed(result, "BucketOperationFailed");
  t.diagnostic(message);
  assert.match(message, /bucket does not exist/);
  assert.match(message, /engine-no-such-bucket/);
  assert.equal(result.status.artifact, undefined);
});

// ---------------------------------------------------------------------------------------------------------------
// 9: determinism, and the url form

test("9. the same content in two buckets gives the same digest", async (t) => {
  const env = await makeEnv(t);
  const content = { "z.yaml": "z\n", "a/b/c.yaml": "c\n", "a/a.yaml": "a\n", "ü/ñ.yaml": "unicode\n" };
  for (const bucket of ["engine-same-1", "engine-same-2"]) {
    await minio.createBucket(bucket);
    await upload(bucket, content);
  }
  const one = await env.sync(bucketSpec("engine-same-1"), initialStatus(), {
    namespace: NAMESPACE,
    name: "one",
  });
  const two = await env.sync(bucketSpec("engine-same-2"), initialStatus(), {
    namespace: NAMESPACE,
    name: "two",
  });
  const a1 = assertReady(one);
  const a2 = assertReady(two);
  assert.equal(a1.digest, a2.digest);
  assert.equal(a1.revision, a2.revision);
  assert.notEqual(a1.path, a2.path);
  assert.deepEqual(await readFile(env.store.absolute(a1.path)), await readFile(env.store.absolute(a2.path)));
  assertSameFiles(await artifactFiles(env, a1), content);
});

test("the url form (s3://bucket/prefix) with AWS_* Secret keys matches the long form", async (t) => {
  const env = await makeEnv(t);
  const bucket = "engine-url";
  await minio.createBucket(bucket);
  await upload(bucket, { "site/index.yaml": "i\n", "site/sub/page.yaml": "p\n", "elsewhere.yaml": "e\n" });
  env.secrets.set("aws-creds", {
    AWS_ACCESS_KEY_ID: minio.accessKey,
    AWS_SECRET_ACCESS_KEY: minio.secretKey,
  });
  const urlSpec = {
    url: `s3://${bucket}/site/`,
    endpoint: minio.endpoint,
    insecure: true,
    interval: "5m",
    secretRef: { name: "aws-creds" },
  };
  const viaUrl = await env.sync(urlSpec, initialStatus(), { namespace: NAMESPACE, name: "via-url" });
  const viaLong = await env.sync(bucketSpec(bucket, { prefix: "site/" }), initialStatus(), {
    namespace: NAMESPACE,
    name: "via-long",
  });
  assert.equal(viaUrl.spec?.provider, "generic");
  assert.equal(viaUrl.spec?.prefix, "site/");
  const artifact = assertReady(viaUrl);
  assert.equal(artifact.digest, assertReady(viaLong).digest);
  assertSameFiles(await artifactFiles(env, artifact), {
    "site/index.yaml": "i\n",
    "site/sub/page.yaml": "p\n",
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 10: hostile keys

const HOSTILE_KEYS = ["../escape.yaml", "a/../../b", "/abs.yaml", "x\\y.yaml"];
const HOSTILE_NAMES = ["escape.yaml", "b", "abs.yaml", "y.yaml", "x\\y.yaml"];

function isSafeKey(key: string): boolean {
  try {
    assertSafeKey(key);
    return true;
  } catch {
    return false;
  }
}

test("10a. hostile keys MinIO accepts are refused with InvalidPath, and can be excluded with spec.ignore", async (t) => {
  const env = await makeEnv(t);
  const parent = path.dirname(env.dir);
  const parentBefore = new Set(await readdir(parent));
  const bucket = "engine-hostile";
  await minio.createBucket(bucket);
  await upload(bucket, { "good.yaml": "good\n" });
  const verdicts: string[] = [];
  for (const key of HOSTILE_KEYS) {
    try {
      await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "hostile\n" }));
      verdicts.push(`${JSON.stringify(key)} accepted`);
    } catch (error) {
      verdicts.push(`${JSON.stringify(key)} refused (${(error as Error).name})`);
    }
  }
  const stored = await listKeys(bucket);
  t.diagnostic(`MinIO on PUT: ${verdicts.join(", ")}; stored keys: ${JSON.stringify(stored)}`);
  const unsafe = stored.filter((k) => !isSafeKey(k));
  assert.ok(unsafe.length > 0, "MinIO stores at least one key we must refuse (the backslash key)");

  const refused = await env.sync(bucketSpec(bucket), initialStatus());
  const message = assertFailed(refused, "InvalidPath");
  t.diagnostic(`refused: ${message}`);
  assert.ok(
    unsafe.some((k) => message.includes(JSON.stringify(k))),
    `message names the hostile key: ${message}`,
  );
  assert.equal(refused.status.artifact, undefined);
  assert.equal(refused.stats.getRequests, 0, "nothing is downloaded when a key is refused");

  // spec.ignore (gitignore syntax: "\\" is a literal backslash) excludes every hostile key.
  const ignore = "escape.yaml\nb\nx\\\\y.yaml\n";
  const excluded = await env.sync(bucketSpec(bucket, { ignore }), refused.status);
  const artifact = assertReady(excluded);
  const expected: Record<string, string> = { "good.yaml": "good\n" };
  for (const key of stored) if (isSafeKey(key) && key !== "good.yaml") expected[key] = "hostile\n"; // normalized by MinIO
  assertSameFiles(await artifactFiles(env, artifact), expected);
  assert.equal(excluded.stats.ignored, unsafe.length);

  const created = (await readdir(parent)).filter((n) => !parentBefore.has(n) && HOSTILE_NAMES.includes(n));
  assert.deepEqual(created, [], `no file escaped into ${parent}`);
});

/** A listing-only provider for scanBucket: exercises our key validation, not an S3 server. */
function listingOf(keys: readonly string[]): BucketProvider {
  const requests = { list: 0, get: 0 };
  return {
    requests,
    list(prefix: string): AsyncIterable<ObjectInfo> {
      requests.list++;
      const infos: ObjectInfo[] = keys
        .filter((k) => k.startsWith(prefix))
        .map((key) => ({ key, etag: "e", size: 1 }));
      return Readable.from(infos);
    },
    get(key: string): Promise<Readable> {
      requests.get++;
      return Promise.reject(new Error(`unexpected GET of ${key}`));
    },
    close(): void {},
  };
}

test("10b. scanBucket refuses keys MinIO would not store, unless spec.ignore excludes them", async (t) => {
  const env = await makeEnv(t);
  const cache = new ContentCache(path.join(env.dir, "scan-cache"));
  const cases: [key: string, pattern: string][] = [
    ["../escape.yaml", "escape.yaml"],
    ["a/../../b", "b"],
    ["/abs.yaml", "abs.yaml"],
    ["./c.yaml", "c.yaml"],
    ["a/./d.yaml", "d.yaml"],
    ["a//e.yaml", "e.yaml"],
    ["..", ".."],
    ["nul\0.yaml", "nul*"],
  ];
  for (const [key, pattern] of cases) {
    for (const ignore of [undefined, "*.md\n"]) {
      await assert.rejects(
        scanBucket(listingOf(["ok.yaml", key]), cache, { prefix: "", ignore }),
        (error: unknown) =>
          error instanceof UnsafeKeyError && error.key === key && error.message.includes(JSON.stringify(key)),
        `${JSON.stringify(key)} is refused (spec.ignore ${JSON.stringify(ignore)})`,
      );
    }
    const scan = await scanBucket(listingOf(["ok.yaml", key]), cache, { prefix: "", ignore: pattern });
    assert.deepEqual(
      scan.index.entries.map((e) => e.key),
      ["ok.yaml"],
      `spec.ignore ${JSON.stringify(pattern)} excludes ${JSON.stringify(key)}`,
    );
    assert.equal(scan.ignored, 1);
  }
});

test("10c. extractTarGz refuses a crafted ../evil entry and writes nothing outside", async (t) => {
  const env = await makeEnv(t);
  const pack = tar.pack();
  pack.entry({ name: "ok.txt" }, "fine\n");
  pack.entry({ name: "../evil" }, "evil\n");
  pack.entry({ name: "after.txt" }, "never reached\n");
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack.pipe(createGzip())) chunks.push(chunk as Buffer);

  const box = path.join(env.dir, "box");
  const out = path.join(box, "out");
  await mkdir(box);
  await assert.rejects(
    extractTarGz(Readable.from(Buffer.concat(chunks)), out),
    /"\.\.\/evil" would be written outside/,
  );
  assert.deepEqual(await readdir(box), ["out"]);
  assert.deepEqual(await readdir(out), ["ok.txt"]);
});

// ---------------------------------------------------------------------------------------------------------------
// 11: invalid spec

test("11. an invalid interval stalls the Bucket with a message naming spec.interval", async (t) => {
  const env = await makeEnv(t);
  const spec = { ...bucketSpec("engine-any"), interval: "5 minutes" };
  const result = await env.sync(spec, initialStatus());
  assert.equal(result.outcome, "stalled");
  const stalled = findCondition(result.status, "Stalled");
  assert.equal(stalled?.status, "True");
  assert.match(stalled.message, /spec\.interval/);
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.match(ready.message, /spec\.interval/);
  assert.equal(result.status.observedGeneration, 1);
  assert.equal(findCondition(result.status, "Reconciling"), undefined);
  assert.equal(result.spec, undefined);
  assert.equal(result.stats.listRequests, 0);
});
