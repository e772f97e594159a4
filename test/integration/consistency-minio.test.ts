// The consistency gate and verification on a real MinIO: states published with bucketops' push (objects first, the
// index object last, deletions after it); only complete, matching (and, with spec.verify, signed) states are published.
import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { after, before, test, type TestContext } from "node:test";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { pino } from "pino";
import { findCondition, type Artifact, type BucketStatus } from "../../src/api/status.js";
import type { ReconcileResult } from "../../src/engine/reconcile.js";
import { normalizeSpec } from "../../src/api/normalize.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import { DEFAULT_TUNING } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import { serializeIndex, type IndexObject } from "../../src/publish/index-object.js";
import { push } from "../../src/publish/push.js";
import { signIndex } from "../../src/publish/signature.js";
import { createArtifactServer } from "../../src/storage/http-server.js";
import { artifactFiles, assertReady, brief } from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { startMinio, type MinioServer } from "../support/minio.js";

let minio: MinioServer;
before(async () => {
  minio = await startMinio();
});
after(async () => {
  await minio.stop();
});

const PREFIX = "site/";
const INDEX_KEY = `${PREFIX}.bucketops/index.json`;
let bucketCount = 0;

interface Fixture {
  bucket: string;
  env: EngineEnv;
  spec: Record<string, unknown>;
  clock: { ms: number };
  /** Reconciles with the status of the previous reconcile. */
  sync(): Promise<ReconcileResult>;
  status: BucketStatus | undefined;
}

/** A fresh bucket, an engine with a controllable clock, and an HTTP server for its artifacts. */
async function fixture(t: TestContext, extra: Record<string, unknown> = {}): Promise<Fixture> {
  const bucket = `gate-${++bucketCount}`;
  await minio.createBucket(bucket);
  const clock = { ms: Date.parse("2026-12-01T00:00:00Z") };
  let base = "http://127.0.0.1:1";
  const env = await engineEnv(t, { now: () => new Date(clock.ms), baseUrl: () => base });
  const app = await createArtifactServer({ root: env.dir + "/storage", logger: pino({ level: "silent" }) });
  await app.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  t.after(() => app.close());
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  const spec = {
    bucketName: bucket,
    endpoint: minio.endpoint,
    insecure: true,
    prefix: PREFIX,
    interval: "10m",
    secretRef: { name: "creds" },
    ...extra,
  };
  const f: Fixture = {
    bucket,
    env,
    spec,
    clock,
    status: undefined,
    async sync() {
      const result = await env.sync(f.spec, f.status);
      f.status = result.status;
      return result;
    },
  };
  return f;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function indexOf(files: Record<string, string>, key?: KeyObject): IndexObject {
  const index: IndexObject = {
    apiVersion: "bucketops.io/v1",
    kind: "BucketIndex",
    createdAt: new Date().toISOString(),
    tool: "bucketops-test",
    files: Object.fromEntries(
      Object.entries(files).map(([p, body]) => [p, { sha256: sha256(body), size: Buffer.byteLength(body) }]),
    ),
  };
  return key ? signIndex(index, key) : index;
}

async function put(bucket: string, key: string, body: string | Buffer): Promise<void> {
  await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function listKeys(bucket: string): Promise<{ key: string; etag: string }[]> {
  const out: { key: string; etag: string }[] = [];
  let token: string | undefined;
  do {
    const page = await minio.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: PREFIX, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) out.push({ key: o.Key ?? "", etag: o.ETag ?? "" });
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/**
 * Publishes a state with bucketops' own push (src/publish/push.ts) from a temp folder: changed objects, then the
 * index, then (prune) the deletions of the keys the state no longer has.
 */
async function pushState(
  bucket: string,
  files: Record<string, string>,
  options: { sign?: KeyObject; parallel?: number } = {},
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "gate-push-"));
  const spec = normalizeSpec({
    bucketName: bucket,
    endpoint: minio.endpoint,
    insecure: true,
    prefix: PREFIX,
    interval: "10m",
    secretRef: { name: "creds" },
  });
  const secret = { accesskey: minio.accessKey, secretkey: minio.secretKey };
  const provider = await createProvider(
    await resolveConnection(spec, "default", () => Promise.resolve(secret)),
    DEFAULT_TUNING,
  );
  try {
    for (const [p, body] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
      await writeFile(path.join(dir, p), body);
    }
    await push({
      dir,
      provider,
      writer: provider,
      prefix: PREFIX,
      prune: true,
      tool: "bucketops-test",
      concurrency: options.parallel ?? 32,
      ...(options.sign ? { signingKey: options.sign } : {}),
    });
  } finally {
    provider.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Flux's revision over the given keys as MinIO lists them: sha256 of "<key> <etag>\n" lines in key order. */
async function fluxRevision(bucket: string, keys: string[]): Promise<string> {
  const etags = new Map((await listKeys(bucket)).map((o) => [o.key, o.etag.replaceAll('"', "")]));
  const lines = [...keys]
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((k) => `${k} ${etags.get(k) ?? "?"}\n`);
  return `sha256:${createHash("sha256").update(lines.join("")).digest("hex")}`;
}

/** The artifact's files with the prefix folder stripped, as path → content. */
async function published(env: EngineEnv, artifact: Artifact): Promise<Record<string, string>> {
  const files = await artifactFiles(env, artifact);
  return Object.fromEntries([...files].map(([name, body]) => [name.slice(PREFIX.length), body]));
}

function assertWaiting(result: ReconcileResult, ...fragments: string[]): string {
  assert.equal(result.outcome, "failed", brief(result));
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready.reason, "WaitingForConsistentUpload", ready.message);
  for (const fragment of fragments)
    assert.ok(ready.message.includes(fragment), `"${fragment}" in: ${ready.message}`);
  return ready.message;
}

async function servedBytes(artifact: Artifact): Promise<Buffer> {
  const response = await fetch(artifact.url);
  assert.equal(response.status, 200, artifact.url);
  return Buffer.from(await response.arrayBuffer());
}

function ed25519(): { privateKey: KeyObject; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

const STATE_A = {
  "app/deploy.yaml": "kind: Deployment\n",
  "app/svc.yaml": "kind: Service\n",
  "README.md": "a\n",
};
const STATE_B = {
  "app/deploy.yaml": "kind: Deployment # v2\n",
  "app/svc.yaml": "kind: Service # v2\n",
  "new.yaml": "b\n",
};

test("complete index: the artifact holds exactly the indexed files (an unindexed key and .bucketops/ left out), revision by Flux's formula over them", async (t) => {
  const f = await fixture(t);
  await pushState(f.bucket, STATE_A);
  await put(f.bucket, `${PREFIX}stray.yaml`, "not indexed\n");
  await put(f.bucket, `${PREFIX}.bucketops/notes.txt`, "control folder\n");
  const result = await f.sync();
  const artifact = assertReady(result);
  assert.deepEqual(await published(f.env, artifact), STATE_A);
  assert.equal(
    artifact.revision,
    await fluxRevision(
      f.bucket,
      Object.keys(STATE_A).map((p) => PREFIX + p),
    ),
  );
  const again = await f.sync();
  assert.equal(again.outcome, "unchanged", brief(again));
  assert.equal(again.stats.getRequests, 0, "an unchanged index object is read from the cache");
});

test("consistency: strict blocks publishing while a listed key is not in the index, naming it", async (t) => {
  const f = await fixture(t, { consistency: "strict" });
  await pushState(f.bucket, STATE_A);
  await put(f.bucket, `${PREFIX}stray.yaml`, "not indexed\n");
  const result = await f.sync();
  assertWaiting(result, `'${PREFIX}stray.yaml'`, "1 listed key is not in the index");
  assert.equal(result.status.artifact, undefined);
});

test("an indexed key missing: WaitingForConsistentUpload naming it and the count (a Normal event, not a Warning), the previous artifact served byte-identical, retries in seconds with backoff", async (t) => {
  const f = await fixture(t);
  await pushState(f.bucket, STATE_A);
  const first = assertReady(await f.sync());
  const bytes = await readFile(f.env.store.absolute(first.path));
  // The next state's index arrives while two of its objects are not uploaded yet.
  await put(f.bucket, `${PREFIX}app/deploy.yaml`, STATE_B["app/deploy.yaml"]);
  await put(f.bucket, INDEX_KEY, serializeIndex(indexOf({ ...STATE_B, "extra.yaml": "x\n" })));
  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    const result = await f.sync();
    assertWaiting(result, "2 indexed objects are not listed", `first '${PREFIX}extra.yaml' and 1 more`);
    assert.deepEqual(result.status.artifact, first, "status keeps the previous artifact");
    assert.deepEqual(
      result.events.map((e) => [e.type, e.reason]),
      [["Normal", "WaitingForConsistentUpload"]],
      "an upload in progress is reported, not warned about",
    );
    delays.push(result.retryAfterMs ?? -1);
  }
  assert.deepEqual(delays, [1000, 2000, 4000]);
  assert.deepEqual(await servedBytes(first), bytes, "the previous artifact is served byte-identical");
  await pushState(f.bucket, { ...STATE_B, "extra.yaml": "x\n" });
  const done = assertReady(await f.sync());
  assert.deepEqual(await published(f.env, done), { ...STATE_B, "extra.yaml": "x\n" });
});

test("a tampered object (overwritten after the index, same size): waiting while young, DigestMismatch (a Warning event) naming the file after the upload grace; no new artifact", async (t) => {
  const f = await fixture(t);
  await pushState(f.bucket, STATE_A);
  const first = assertReady(await f.sync());
  await put(f.bucket, `${PREFIX}app/svc.yaml`, "kind: Sekrets\n"); // same length as "kind: Service\n"
  const young = await f.sync();
  assertWaiting(young, `sha256 differs from the index, first '${PREFIX}app/svc.yaml'`);
  f.clock.ms += 61_000;
  const old = await f.sync();
  const ready = findCondition(old.status, "Ready");
  assert.equal(ready?.reason, "DigestMismatch", ready?.message);
  assert.ok(ready.message.includes(`'${PREFIX}app/svc.yaml'`), ready.message);
  assert.deepEqual(old.status.artifact, first);
  assert.equal(old.retryAfterMs, undefined, "a failure, retried at the runtime's backoff");
  assert.deepEqual(
    old.events.map((e) => [e.type, e.reason]),
    [["Warning", "DigestMismatch"]],
  );
});

test("spec.verify: a valid signature → SourceVerified=True with the keyId; rotation: the second of two Secret keys verifies", async (t) => {
  const oldKey = ed25519();
  const newKey = ed25519();
  const f = await fixture(t, { verify: { provider: "ed25519", secretRef: { name: "keys" } } });
  f.env.secrets.set("keys", {
    "old.pub": oldKey.publicPem,
    "new.pub": newKey.publicPem,
    README: "rotate yearly",
  });
  await pushState(f.bucket, STATE_A, { sign: newKey.privateKey });
  const result = await f.sync();
  assertReady(result);
  const verified = findCondition(result.status, "SourceVerified");
  assert.equal(verified?.status, "True");
  // keyId: sha256 of the signing key's SPKI DER, computed here from the PEM in the Secret.
  const der = createPublicKey(newKey.publicPem).export({ type: "spki", format: "der" });
  const expectedId = `sha256:${createHash("sha256").update(der).digest("hex")}`;
  assert.ok(verified.message.includes(expectedId), verified.message);
});

test("spec.verify: signed by an untrusted key, or unsigned → SourceVerified=False (VerificationError), the previous artifact kept", async (t) => {
  const trusted = ed25519();
  const stranger = ed25519();
  const f = await fixture(t, { verify: { provider: "ed25519", secretRef: { name: "keys" } } });
  f.env.secrets.set("keys", { "cosign.pub": trusted.publicPem });
  await pushState(f.bucket, STATE_A, { sign: trusted.privateKey });
  const first = assertReady(await f.sync());
  for (const [label, sign] of [
    ["untrusted key", stranger.privateKey],
    ["no signature", undefined],
  ] as const) {
    // The unsigned push changes a file too: push leaves an index that already describes the folder as it is.
    const state = sign ? STATE_B : { ...STATE_B, "unsigned.yaml": "u: 1\n" };
    await pushState(f.bucket, state, sign ? { sign } : {});
    const result = await f.sync();
    const verified = findCondition(result.status, "SourceVerified");
    assert.equal(verified?.status, "False", label);
    assert.equal(verified.reason, "VerificationError", label);
    const expected = sign ? "none of the index's 1 signature is valid" : "carries no signature";
    assert.ok(verified.message.includes(expected), `${label}: ${verified.message}`);
    assert.equal(findCondition(result.status, "Ready")?.reason, "VerificationError");
    assert.deepEqual(result.status.artifact, first, `${label}: previous artifact kept`);
    assert.equal((await servedBytes(first)).length, first.size);
  }
});

test("spec.verify: an object changed after a signed push → SourceVerified=False naming the file once past the upload grace", async (t) => {
  const key = ed25519();
  const f = await fixture(t, { verify: { provider: "ed25519", secretRef: { name: "keys" } } });
  f.env.secrets.set("keys", { "k.pub": key.publicPem });
  await pushState(f.bucket, STATE_A, { sign: key.privateKey });
  const first = assertReady(await f.sync());
  await put(f.bucket, `${PREFIX}README.md`, "b\n");
  assertWaiting(await f.sync(), `'${PREFIX}README.md'`);
  f.clock.ms += 61_000;
  const result = await f.sync();
  const verified = findCondition(result.status, "SourceVerified");
  assert.equal(verified?.status, "False");
  assert.ok(verified.message.includes(`'${PREFIX}README.md'`), verified.message);
  assert.deepEqual(result.status.artifact, first);
});

test("spec.verify: a Secret with no Ed25519 public key → SourceVerified=False naming the keys present, no artifact", async (t) => {
  const f = await fixture(t, { verify: { provider: "ed25519", secretRef: { name: "keys" } } });
  f.env.secrets.set("keys", { notes: "no key here" });
  await pushState(f.bucket, STATE_A);
  const result = await f.sync();
  const verified = findCondition(result.status, "SourceVerified");
  assert.equal(verified?.status, "False");
  assert.ok(verified.message.includes("holds no Ed25519 public key"), verified.message);
  assert.ok(verified.message.includes("keys present: notes"), verified.message);
  assert.equal(result.status.artifact, undefined);
});

test("consistency: index waits while there is no index object; auto publishes the listing without one", async (t) => {
  const f = await fixture(t, { consistency: "index" });
  await minio.putObjects(
    f.bucket,
    Object.entries(STATE_A).map(([p, b]) => [PREFIX + p, b]),
  );
  assertWaiting(await f.sync(), `index object '${INDEX_KEY}' not found`);
  f.spec.consistency = "auto";
  assert.deepEqual(await published(f.env, assertReady(await f.sync())), STATE_A);
});

test("consistency: settle publishes a listing only once it stayed unchanged for spec.settle", async (t) => {
  const f = await fixture(t, { consistency: "settle", settle: "1s" });
  await minio.putObjects(
    f.bucket,
    Object.entries(STATE_A).map(([p, b]) => [PREFIX + p, b]),
  );
  const r1 = await f.sync();
  assertWaiting(r1, "is new");
  assert.equal(r1.retryAfterMs, 1000);
  f.clock.ms += 600;
  const r2 = await f.sync();
  assertWaiting(r2, "unchanged for 0.6s of 1s");
  assert.equal(r2.retryAfterMs, 400);
  await put(f.bucket, `${PREFIX}late.yaml`, "late\n"); // the listing changes: settling starts again
  f.clock.ms += 600;
  assertWaiting(await f.sync(), "is new");
  f.clock.ms += 999;
  assertWaiting(await f.sync(), "unchanged for 1.0s of 1s"); // 999 ms: still younger than settle
  f.clock.ms += 1;
  const done = assertReady(await f.sync());
  assert.deepEqual(await published(f.env, done), { ...STATE_A, "late.yaml": "late\n" });
});

test("interleaving: 500-file states pushed while reconciles run; every artifact published equals one complete pushed state", async (t) => {
  const f = await fixture(t, { consistency: "index" }); // round 0 too: no artifact before the first index
  const rounds = Number(process.env.GATE_ROUNDS ?? 24);
  const states: Record<string, string>[] = [];
  const stateOf = (round: number): Record<string, string> => {
    const files: Record<string, string> = {};
    // Each round drops and adds some names, and changes every body (round number in it, same length or not).
    for (let i = round % 7; i < 500 + (round % 7); i++)
      files[`d${i % 10}/f${i}.yaml`] = `round: ${round}\nfile: ${i}\n`;
    return files;
  };
  const seen = new Map<string, number>(); // digest → state number
  let waits = 0;
  let reconciles = 0;
  const check = async (result: ReconcileResult): Promise<void> => {
    reconciles++;
    if (findCondition(result.status, "Ready")?.reason === "WaitingForConsistentUpload") waits++;
    const artifact = result.status.artifact;
    if (!artifact || seen.has(artifact.digest)) return;
    const files = await published(f.env, artifact);
    const canonical = (files: Record<string, string>): string => JSON.stringify(Object.entries(files).sort());
    const match = states.findIndex((s) => canonical(s) === canonical(files));
    assert.ok(
      match >= 0,
      `artifact ${artifact.digest} (${Object.keys(files).length} files) equals no pushed state`,
    );
    seen.set(artifact.digest, match);
  };
  for (let round = 0; round < rounds; round++) {
    const state = stateOf(round);
    states.push(state);
    let uploading = true;
    const upload = pushState(f.bucket, state, { parallel: 8 }).finally(() => (uploading = false));
    try {
      while (uploading) await check(await f.sync());
    } finally {
      await upload;
    }
    await check(await f.sync());
    assert.equal(
      seen.get(f.status?.artifact?.digest ?? ""),
      round,
      `round ${round}: the complete state is published`,
    );
  }
  t.diagnostic(`${rounds} rounds, ${reconciles} reconciles, ${waits} waited, ${seen.size} artifacts`);
  assert.ok(waits > 0, "some reconciles landed mid-upload and waited");
});
