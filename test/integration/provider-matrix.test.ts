// One table of behaviour cases, three rows: S3 on a real MinIO, GCS on a real fake-gcs-server and Azure Blob on a
// real Azurite, all on 127.0.0.1. Every case runs through reconcile() once per row, as its own named test, with the
// same assertions; what a row may do differently is a named row field (bucketWord, location,
// refusesCredentials), so a behaviour cannot differ silently between clouds. At the end, every artifact the table
// produced is compared across rows (same content → same digest) and the traffic is checked to be loopback only.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test, type TestContext } from "node:test";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { findCondition, type Artifact, type BucketStatus } from "../../src/api/status.js";
import type { SecretData } from "../../src/credentials/secret.js";
import type { ReconcileResult } from "../../src/engine/reconcile.js";
import { startAzurite } from "../support/azurite.js";
import {
  artifactFiles,
  assertFailed,
  assertReady,
  assertSameFiles,
  brief,
  seconds,
  sha256File,
} from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { startFakeGcs } from "../support/fake-gcs.js";
import { serviceAccountJson } from "../support/gcp-key.js";
import { startMinio } from "../support/minio.js";
import { recordTraffic, type TrafficRecorder } from "../support/traffic.js";

// ---------------------------------------------------------------------------------------------------------------
// Rows: a small adapter per provider. Everything a case needs from a server goes through it.

interface ProviderRow {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: string): Promise<void>;
  delete(bucket: string, key: string): Promise<void>;
  /** A Bucket spec for the engine; its secretRef is one of secrets(). */
  spec(bucket: string, prefix: string, extra?: Record<string, unknown>): Record<string, unknown>;
  /** The Secrets spec() refers to, by name (namespace "default"). */
  secrets(): Map<string, SecretData>;
  /** Data for the "creds" Secret that is refused (see refusesCredentials). */
  wrongCredentials(): SecretData;
  // What may differ between rows, said out loud:
  /** The provider's word in "… does not exist": "bucket" or "container". */
  bucketWord: "bucket" | "container";
  /** How error messages name a bucket (a prefix of the listed location). */
  location(bucket: string): string;
  /**
   * Who refuses wrong credentials: "server" (a request is sent and answered 401/403), or "engine" (refused
   * before anything is sent). fake-gcs-server authenticates nothing, and the GCS provider never sends a token to a
   * plain-http (emulator) endpoint, so the GCS row's wrong credentials are a key the engine cannot load.
   */
  refusesCredentials: "server" | "engine";
}

/** A row around one server: started by start(), handed to the adapter's functions once it runs. */
function serverRow<S extends { stop(): Promise<void> }>(
  name: string,
  startServer: () => Promise<S>,
  adapter: (server: () => S) => Omit<ProviderRow, "name" | "start" | "stop">,
): ProviderRow {
  let running: S | undefined;
  return {
    name,
    async start() {
      running = await startServer();
    },
    stop: async () => running?.stop(),
    ...adapter(() => running ?? assert.fail(`${name}: the server is not started`)),
  };
}

/** Flux's long form: the row's connection fields, then the bucket, prefix and the "creds" Secret. */
function longSpec(connection: () => Record<string, unknown>): ProviderRow["spec"] {
  return (bucket, prefix, extra = {}) => ({
    ...connection(),
    bucketName: bucket,
    prefix,
    interval: "5m0s",
    secretRef: { name: "creds" },
    ...extra,
  });
}

const ROWS: ProviderRow[] = [
  serverRow(
    "S3 (MinIO)",
    () => startMinio(),
    (minio) => ({
      createBucket: (name) => minio().createBucket(name),
      put: (bucket, key, body) => minio().putObjects(bucket, [[key, body]]),
      async delete(bucket, key) {
        await minio().client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      },
      spec: longSpec(() => ({ provider: "generic", endpoint: minio().endpoint, insecure: true })),
      secrets: () => new Map([["creds", { accesskey: minio().accessKey, secretkey: minio().secretKey }]]),
      wrongCredentials: () => ({ accesskey: minio().accessKey, secretkey: "definitely-not-the-secret-key" }),
      bucketWord: "bucket",
      location: (bucket) => `s3://${bucket}/`,
      refusesCredentials: "server",
    }),
  ),
  serverRow(
    "GCS (fake-gcs-server)",
    () => startFakeGcs(),
    (gcs) => ({
      createBucket: (name) => gcs().createBucket(name),
      put: (bucket, key, body) => gcs().putObjects(bucket, [[key, body]]),
      delete: (bucket, key) => gcs().deleteObject(bucket, key),
      // The key in "creds" is validated on every reconcile; over plain http it never signs a token request.
      spec: longSpec(() => ({ provider: "gcp", endpoint: gcs().hostPort, insecure: true })),
      secrets: () => new Map([["creds", { serviceaccount: serviceAccountJson() }]]),
      wrongCredentials: () => ({
        serviceaccount: serviceAccountJson({
          private_key:
            "-----BEGIN PRIVATE KEY-----\nd3Jvbmcta2V5LW5vdC1hbi1yc2Eta2V5\n-----END PRIVATE KEY-----\n",
        }),
      }),
      bucketWord: "bucket",
      location: (bucket) => `gs://${bucket}/`,
      refusesCredentials: "engine",
    }),
  ),
  serverRow(
    "Azure Blob (Azurite)",
    () => startAzurite(),
    (azurite) => ({
      createBucket: (name) => azurite().createContainer(name),
      put: (container, key, body) => azurite().putObjects(container, [[key, body]]),
      delete: (container, key) => azurite().deleteObject(container, key),
      spec: longSpec(() => ({ provider: "azure", endpoint: azurite().endpoint })),
      secrets: () => new Map([["creds", { accountKey: azurite().accountKey }]]),
      wrongCredentials: () => ({
        accountKey: Buffer.from("definitely-not-the-account-key-0123456789").toString("base64"),
      }),
      bucketWord: "container",
      location: (container) => `${azurite().endpoint}/${container}/`,
      refusesCredentials: "server",
    }),
  ),
];

// ---------------------------------------------------------------------------------------------------------------
// What the cases share within a row, and what is compared across rows

interface RowContext {
  row: ProviderRow;
  env: EngineEnv;
  /** The 1,250-object dataset: uploaded once by the first case, then changed step by step by the next ones. */
  big: { expected: Record<string, string>; status?: BucketStatus; artifacts: Artifact[] };
  /** Reconciles as default/<name> and records the figures for the summary. */
  sync(caseName: string, spec: unknown, status?: BucketStatus, name?: string): Promise<ReconcileResult>;
}

/** content label → row name → artifact, compared across rows by the last tests. */
const produced = new Map<string, Map<string, Artifact>>();
/** One line per reconcile: row, case, figures. */
const figures: string[] = [];

function record(label: string, row: ProviderRow, artifact: Artifact): void {
  const byRow = produced.get(label) ?? new Map<string, Artifact>();
  byRow.set(row.name, artifact);
  produced.set(label, byRow);
}

async function putAll(row: ProviderRow, bucket: string, files: Record<string, string>): Promise<void> {
  const limit = pLimit(32);
  await Promise.all(Object.entries(files).map(([key, body]) => limit(() => row.put(bucket, key, body))));
}

const PAGE = 1000; // every provider lists 1,000 keys a page
const BIG = 1250;
const BIG_BUCKET = "matrix-big";
const BIG_PREFIX = "apps/";
const BIG_NAME = "big";
const CHANGED_KEY = "apps/team-0/svc-0/cfg-0000.yaml";
const DELETED_KEY = "apps/team-1/svc-1/cfg-0001.yaml";

function bigFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < BIG; i++) {
    files[`apps/team-${i % 5}/svc-${i % 25}/cfg-${String(i).padStart(4, "0")}.yaml`] =
      `id: ${i}\nteam: ${i % 5}\n`;
  }
  return files;
}

/** The big dataset's last good status; fails clearly when an earlier case of the row did not get that far. */
function synced(ctx: RowContext): BucketStatus {
  const status = ctx.big.status;
  assert.ok(status?.artifact, "needs the first sync of the 1,250-object prefix (an earlier case failed)");
  return status;
}

function assertNewArtifactEvent(result: ReconcileResult, artifact: Artifact): void {
  const event = result.events.find((e) => e.reason === "NewArtifact");
  assert.ok(event, "NewArtifact event");
  assert.equal(event.type, "Normal");
  assert.equal(event.annotations?.["source.toolkit.fluxcd.io/revision"], artifact.revision);
  assert.equal(event.annotations?.["source.toolkit.fluxcd.io/digest"], artifact.digest);
}

/** The stored file is the artifact: its sha256 is the digest and its length the size. */
async function assertStoredFile(env: EngineEnv, artifact: Artifact): Promise<void> {
  const file = env.store.absolute(artifact.path);
  assert.equal(await sha256File(file), artifact.digest);
  assert.equal((await readFile(file)).length, artifact.size);
}

// ---------------------------------------------------------------------------------------------------------------
// The table

interface Case {
  name: string;
  run(ctx: RowContext, t: TestContext): Promise<void>;
}

const CASES: Case[] = [
  {
    name: `> 1,200 objects: the listing is paginated and the artifact holds exactly the uploads`,
    async run(ctx, t) {
      const { row, env, big } = ctx;
      await row.createBucket(BIG_BUCKET);
      big.expected = bigFiles();
      const t0 = Date.now();
      await putAll(row, BIG_BUCKET, {
        ...big.expected,
        "other/outside-prefix.yaml": "not published\n",
        "apps-old/also-outside.yaml": "a sibling of the prefix, not under it\n",
      });
      t.diagnostic(`uploaded ${BIG + 2} objects in ${seconds(Date.now() - t0)}`);

      const result = await ctx.sync("first sync", row.spec(BIG_BUCKET, BIG_PREFIX), undefined, BIG_NAME);
      assert.equal(result.outcome, "stored", result.error?.message);
      const artifact = assertReady(result);
      // 2 pages of 1,000, plus one listing for the root .sourceignore (looked up even with a prefix).
      assert.equal(result.stats.listRequests, Math.ceil(BIG / PAGE) + 1, "paginated listing");
      assert.equal(result.stats.listed, BIG);
      assert.equal(result.stats.objects, BIG);
      assert.equal(result.stats.getRequests, BIG);
      assert.equal(result.stats.downloaded, BIG);
      assert.equal(result.stats.cacheHits, 0);
      assert.match(artifact.revision, /^sha256:[0-9a-f]{64}$/);
      assert.equal(result.status.url, env.store.latestUrl({ namespace: "default", name: BIG_NAME }));
      assertNewArtifactEvent(result, artifact);
      await assertStoredFile(env, artifact);
      assertSameFiles(await artifactFiles(env, artifact), big.expected);
      big.status = result.status;
      big.artifacts.push(artifact);
      record("1,250 objects", row, artifact);
    },
  },
  {
    name: `nothing changed → zero GETs, outcome "unchanged"`,
    async run(ctx) {
      const { row } = ctx;
      const before = synced(ctx);
      const result = await ctx.sync("unchanged", row.spec(BIG_BUCKET, BIG_PREFIX), before, BIG_NAME);
      assert.equal(result.outcome, "unchanged");
      assert.equal(result.stats.getRequests, 0);
      assert.equal(result.stats.downloaded, 0);
      assert.equal(result.stats.objects, BIG);
      assert.equal(result.stats.listRequests, Math.ceil(BIG / PAGE) + 1, "the listing is still all it costs");
      assert.deepEqual(assertReady(result), before.artifact);
      assert.deepEqual(result.events, []);
      ctx.big.status = result.status;
    },
  },
  {
    name: `one changed object → exactly one GET and a new revision`,
    async run(ctx) {
      const { row, env, big } = ctx;
      const before = synced(ctx);
      await row.put(BIG_BUCKET, CHANGED_KEY, "id: 0\nchanged: true\n");
      big.expected[CHANGED_KEY] = "id: 0\nchanged: true\n";
      const result = await ctx.sync("one changed", row.spec(BIG_BUCKET, BIG_PREFIX), before, BIG_NAME);
      assert.equal(result.outcome, "stored", result.error?.message);
      const artifact = assertReady(result);
      assert.equal(result.stats.getRequests, 1);
      assert.equal(result.stats.downloaded, 1);
      assert.equal(result.stats.cacheHits, BIG - 1);
      assert.notEqual(artifact.revision, before.artifact?.revision);
      assert.notEqual(artifact.digest, before.artifact?.digest);
      assertNewArtifactEvent(result, artifact);
      await assertStoredFile(env, artifact);
      assertSameFiles(await artifactFiles(env, artifact), big.expected);
      big.status = result.status;
      big.artifacts.push(artifact);
      record("1,250 objects, one changed", row, artifact);
    },
  },
  {
    name: `one deleted object → gone from the artifact, zero GETs`,
    async run(ctx) {
      const { row, env, big } = ctx;
      const before = synced(ctx);
      await row.delete(BIG_BUCKET, DELETED_KEY);
      delete big.expected[DELETED_KEY]; // eslint-disable-line @typescript-eslint/no-dynamic-delete
      const result = await ctx.sync("one deleted", row.spec(BIG_BUCKET, BIG_PREFIX), before, BIG_NAME);
      assert.equal(result.outcome, "stored", result.error?.message);
      const artifact = assertReady(result);
      assert.equal(result.stats.objects, BIG - 1);
      assert.equal(result.stats.getRequests, 0);
      assert.equal(result.stats.downloaded, 0);
      const files = await artifactFiles(env, artifact);
      assert.equal(files.has(DELETED_KEY), false);
      assertSameFiles(files, big.expected);
      // retentionRecords 2: this artifact and the previous one stay; the first is garbage-collected.
      const [first, previous] = big.artifacts;
      assert.ok(first && previous, "the two earlier artifacts of this row");
      assert.equal(await env.store.exists(artifact), true);
      assert.equal(await env.store.exists(previous), true);
      assert.equal(await env.store.exists(first), false);
      big.status = result.status;
      record("1,249 objects, one changed", row, artifact);
    },
  },
  {
    name: `.sourceignore at the root with a prefix, spec.ignore "!" re-include (later rules win), observedIgnore`,
    async run(ctx) {
      const { row, env } = ctx;
      const bucket = "matrix-ignore";
      await row.createBucket(bucket);
      await putAll(row, bucket, {
        ".sourceignore": "# root rules apply even with a prefix\n*.md\nsecret-*.yaml\n",
        "app/.sourceignore": "drafts/\n",
        "app/deploy.yaml": "kind: Deployment\n",
        "app/README.md": "# docs\n",
        "app/secret-db.yaml": "password: no\n",
        "app/secret-keep.yaml": "kept: by spec.ignore\n",
        "app/drafts/wip.yaml": "wip\n",
        "app/tmp/scratch.txt": "scratch\n",
        "other/outside.yaml": "outside the prefix\n",
      });
      const ignore = "tmp/\n!secret-keep.yaml\n";
      const spec = row.spec(bucket, "app", { ignore });
      const result = await ctx.sync("ignore", spec, undefined, "ignore");
      const artifact = assertReady(result);
      const published = {
        "app/.sourceignore": "drafts/\n",
        "app/deploy.yaml": "kind: Deployment\n",
        "app/secret-keep.yaml": "kept: by spec.ignore\n",
      };
      assertSameFiles(await artifactFiles(env, artifact), published);
      assert.equal(result.stats.listed, 7);
      assert.equal(result.stats.ignored, 4);
      assert.equal(result.stats.listRequests, 2, "the prefix, and the root .sourceignore");
      assert.equal(result.stats.getRequests, 4, "both .sourceignore files and the two published files");
      assert.equal(result.status.observedIgnore, ignore);
      record("ignore rules", row, artifact);

      const again = await ctx.sync("ignore, unchanged", spec, result.status, "ignore");
      assert.equal(again.outcome, "unchanged");
      assert.equal(again.stats.getRequests, 0, "cached .sourceignore files cost no GET");

      // Without the re-include the root .sourceignore excludes the file again; observedIgnore follows spec.ignore.
      const narrower = await ctx.sync(
        "ignore, narrower",
        row.spec(bucket, "app", { ignore: "tmp/\n" }),
        again.status,
        "ignore",
      );
      assert.equal(narrower.outcome, "stored");
      assert.equal(narrower.stats.getRequests, 0);
      assert.equal(narrower.status.observedIgnore, "tmp/\n");
      const { "app/secret-keep.yaml": _reincluded, ...rest } = published;
      assertSameFiles(await artifactFiles(env, assertReady(narrower)), rest);
    },
  },
  {
    name: `missing bucket → Ready=False BucketOperationFailed, "… does not exist"`,
    async run(ctx, t) {
      const { row } = ctx;
      const bucket = "matrix-no-such-bucket";
      const result = await ctx.sync("missing bucket", row.spec(bucket, "x/"), undefined, "missing");
      const message = assertFailed(result, "BucketOperationFailed");
      t.diagnostic(message);
      assert.match(message, new RegExp(`\\b${row.bucketWord} does not exist\\b`));
      assert.ok(message.includes(row.location(bucket)), `names ${row.location(bucket)}: ${message}`);
      assert.equal(result.status.artifact, undefined);
      assert.equal(findCondition(result.status, "ArtifactInStorage")?.status, "False");
      assert.equal(findCondition(result.status, "Reconciling")?.reason, "ProgressingWithRetry");
      assert.equal(result.stats.getRequests, 0);
    },
  },
  {
    name: `wrong credentials after a good sync → AuthenticationFailed, the previous artifact kept`,
    async run(ctx, t) {
      const { row, env } = ctx;
      const bucket = "matrix-auth";
      await row.createBucket(bucket);
      await putAll(row, bucket, { "a.yaml": "a: 1\n", "b/c.yaml": "c: 2\n" });
      const spec = row.spec(bucket, "");
      const good = await ctx.sync("auth, good", spec, undefined, "auth");
      const artifact = assertReady(good);
      record("two files", row, artifact);

      const goodCreds = env.secrets.get("creds");
      const wrong = row.wrongCredentials();
      env.secrets.set("creds", wrong);
      let bad: ReconcileResult;
      try {
        bad = await ctx.sync("auth, wrong credentials", spec, good.status, "auth");
      } finally {
        if (goodCreds) env.secrets.set("creds", goodCreds);
      }
      const message = assertFailed(bad, "AuthenticationFailed");
      t.diagnostic(message);
      assert.equal(
        bad.stats.listRequests,
        row.refusesCredentials === "server" ? 1 : 0,
        `refused by the ${row.refusesCredentials}`,
      );
      assert.equal(bad.stats.getRequests, 0);
      assert.deepEqual(bad.status.artifact, artifact);
      assert.equal(await env.store.exists(artifact), true);
      assert.equal(await sha256File(env.store.absolute(artifact.path)), artifact.digest);
      assert.equal(findCondition(bad.status, "ArtifactInStorage")?.status, "True");
      assert.equal(findCondition(bad.status, "Reconciling")?.reason, "ProgressingWithRetry");
      assert.deepEqual(
        bad.events.map((e) => [e.type, e.reason]),
        [["Warning", "AuthenticationFailed"]],
      );
      const everything = JSON.stringify(bad);
      for (const [key, value] of Object.entries(wrong))
        assert.equal(everything.includes(value), false, `the value of '${key}' never appears`);

      // The good Secret again: recovers without downloading anything.
      const fixed = await ctx.sync("auth, fixed", spec, bad.status, "auth");
      assert.equal(fixed.outcome, "unchanged");
      assert.deepEqual(assertReady(fixed), artifact);
      assert.equal(findCondition(fixed.status, "FetchFailed"), undefined);
      assert.equal(fixed.stats.getRequests, 0);
    },
  },
  {
    name: `unicode keys, an empty object, deep folders → an artifact for the cross-row digest check`,
    async run(ctx) {
      const { row, env } = ctx;
      const bucket = "matrix-same";
      await row.createBucket(bucket);
      await putAll(row, bucket, SAME_CONTENT);
      const result = await ctx.sync("same content", row.spec(bucket, ""), undefined, "same");
      const artifact = assertReady(result);
      await assertStoredFile(env, artifact);
      assertSameFiles(await artifactFiles(env, artifact), SAME_CONTENT);
      record("unicode, empty, deep", row, artifact);
    },
  },
];

const SAME_CONTENT: Record<string, string> = {
  "z.yaml": "z\n",
  "a/b/c.yaml": "c\n",
  "a/a.yaml": "a\n",
  "ü/ñ.yaml": "unicode\n",
  "empty.yaml": "",
  "deep/er/and/deeper/file.json": '{"x": 1}\n',
};
for (let i = 0; i < 50; i++) SAME_CONTENT[`many/f-${i}.yaml`] = `n: ${i}\n`;

// ---------------------------------------------------------------------------------------------------------------
// Runs: one test per row (it owns the server), one subtest per case

let traffic: TrafficRecorder;
before(() => {
  traffic = recordTraffic();
});
after(() => {
  traffic.stop();
});

for (const row of ROWS) {
  test(row.name, async (t) => {
    const t0 = Date.now();
    await row.start();
    t.after(() => row.stop());
    t.diagnostic(`started in ${seconds(Date.now() - t0)}`);
    const env = await engineEnv(t);
    for (const [name, data] of row.secrets()) env.secrets.set(name, data);
    const ctx: RowContext = {
      row,
      env,
      big: { expected: {}, artifacts: [] },
      async sync(caseName, spec, status, name) {
        const result = await env.sync(spec, status, name);
        figures.push(`${row.name} | ${caseName} | ${brief(result)}`);
        return result;
      },
    };
    for (const c of CASES) {
      await t.test(`${row.name}: ${c.name}`, async (t) => {
        const before = figures.length;
        await c.run(ctx, t);
        for (const line of figures.slice(before)) t.diagnostic(line);
      });
    }
  });
}

test("the same content gives the same artifact digest on every row", (t) => {
  for (const line of figures) t.diagnostic(line);
  const names = ROWS.map((r) => r.name);
  assert.equal(produced.size, 6, `every content label was produced: ${[...produced.keys()].join(", ")}`);
  for (const [label, byRow] of produced) {
    for (const [row, a] of byRow) t.diagnostic(`${label} | ${row} | ${a.digest} | revision ${a.revision}`);
    assert.deepEqual([...byRow.keys()], names, `${label}: an artifact from every row`);
    const digests = new Set([...byRow.values()].map((a) => a.digest));
    assert.equal(digests.size, 1, `${label}: one digest across rows, got ${[...digests].join(", ")}`);
    // Revisions hash "key etag" lines (Flux's formula), and every server makes its own etags: same bytes, yet a
    // revision per row.
    const revisions = new Set([...byRow.values()].map((a) => a.revision));
    assert.equal(revisions.size, names.length, `${label}: each server's etags give its own revision`);
  }
});

test("no traffic left loopback", () => {
  traffic.assertLoopbackOnly();
});
