// Pinning and history on a real versioned MinIO (127.0.0.1): states A, B, C written one after another, each
// reconciled live; then Buckets pinned with spec.asOf reproduce the live artifacts bit for bit (revision and
// digest), the history finds the three states with their revisions, and a diff shows what changed.
import assert from "node:assert/strict";
import { after, before, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { access } from "node:fs/promises";
import { DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { normalizeSpec } from "../../src/api/normalize.js";
import { findCondition, initialStatus, type Artifact, type BucketStatus } from "../../src/api/status.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import { DEFAULT_TUNING, reconcile, type ReconcileResult } from "../../src/engine/reconcile.js";
import type { ObjectChange } from "../../src/source/object-change.js";
import { pino } from "pino";
import { createProvider } from "../../src/providers/index.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { BucketHistory } from "../../src/source/history.js";
import { artifactFiles, assertReady, assertSameFiles, brief } from "../support/engine-assert.js";
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

function spec(bucketName: string, pin: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: "generic",
    bucketName,
    endpoint: minio.endpoint,
    insecure: true,
    interval: "1h",
    timeout: "5m",
    secretRef: { name: "creds" },
    ...pin,
  };
}

async function makeEnv(t: TestContext): Promise<EngineEnv> {
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  return env;
}

/** Uploads one object; returns its VersionId ("" on a bucket without versioning). */
const put = async (bucket: string, Key: string, Body: string): Promise<string> => {
  const out = await minio.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
  return out.VersionId ?? "";
};
const del = async (bucket: string, Key: string): Promise<void> => {
  await minio.client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
};

const A: Record<string, string> = {
  ".sourceignore": "*.md\n",
  "app/a.yaml": "a: 1\n",
  "app/b.yaml": "kind: B\nreplicas: 1\nimage: b:1\n",
  "app/gone.yaml": "gone: true\n",
  "app/back.yaml": "back: 1\n",
};
const B: Record<string, string> = {
  ...A,
  "app/a.yaml": "a: 2\n",
  "app/c.yaml": "c: 1\n",
  "app/back.yaml": "back: 2\n",
};
delete B["app/gone.yaml"];
const C: Record<string, string> = { ...B, "app/b.yaml": "kind: B\nreplicas: 3\nimage: b:1\n" };

interface Live {
  artifact: Artifact;
  files: Map<string, string>;
  /** A time inside the state: after its writes, before the next state's. */
  inside: Date;
  /** The VersionId of each object the state wrote. */
  written: Map<string, string>;
}

/** The pinned engine results share one env (one Bucket, one cache, one store) with the live ones. */
interface World {
  env: EngineEnv;
  live: { A: Live; B: Live; C: Live };
  status: BucketStatus;
}

/**
 * Writes A (README.md ignored by .sourceignore), B (a changed, c added, gone deleted, back deleted and re-created)
 * and C (b changed) 2.5 s apart (the history's default change window is 2 s), reconciling each live.
 */
function writeStates(t: TestContext): Promise<World> {
  return (async (): Promise<World> => {
    await minio.createBucket("hist");
    await minio.client.send(
      new PutBucketVersioningCommand({ Bucket: "hist", VersioningConfiguration: { Status: "Enabled" } }),
    );
    const env = await makeEnv(t);
    let status = initialStatus();
    const live = async (): Promise<Live> => {
      const result = await env.sync(spec("hist"), status);
      const artifact = assertReady(result);
      assert.equal(result.status.pinned, undefined, "a live artifact is not pinned");
      status = result.status;
      const files = await artifactFiles(env, artifact);
      const inside = new Date();
      await sleep(2500);
      const state = { artifact, files, inside, written };
      written = new Map();
      return state;
    };
    let written = new Map<string, string>();
    for (const [key, body] of Object.entries(A)) written.set(key, await put("hist", key, body));
    await put("hist", "README.md", "ignored\n");
    const a = await live();
    await put("hist", "app/a.yaml", B["app/a.yaml"] as string);
    await put("hist", "app/c.yaml", B["app/c.yaml"] as string);
    await del("hist", "app/gone.yaml");
    await del("hist", "app/back.yaml");
    await put("hist", "app/back.yaml", B["app/back.yaml"] as string);
    const b = await live();
    await put("hist", "app/b.yaml", C["app/b.yaml"] as string);
    const c = await live();
    assertSameFiles(a.files, A);
    assertSameFiles(b.files, B);
    assertSameFiles(c.files, C);
    return { env, live: { A: a, B: b, C: c }, status };
  })();
}

/** reconcile() as env.sync does (same Bucket, cache and store), with the keys bucket events named. */
function syncWith(
  env: EngineEnv,
  bucketSpec: unknown,
  status: BucketStatus,
  changes: readonly ObjectChange[],
): Promise<ReconcileResult> {
  return reconcile(
    { ref: { namespace: "default", name: "bucket" }, generation: 1, spec: bucketSpec, status, changes },
    {
      store: env.store,
      readSecret: (ns, name) => Promise.resolve(ns === "default" ? env.secrets.get(name) : undefined),
      cacheRoot: path.join(env.dir, "cache"),
      logger: pino({ level: "silent" }),
      concurrency: 16,
    },
  );
}

function assertSameArtifact(result: ReconcileResult, expected: Artifact, what: string): Artifact {
  const artifact = assertReady(result);
  assert.equal(artifact.revision, expected.revision, `${what}: revision`);
  assert.equal(artifact.digest, expected.digest, `${what}: digest`);
  return artifact;
}

async function history(t: TestContext): Promise<BucketHistory> {
  const connection = await resolveConnection(normalizeSpec(spec("hist")), "default", () =>
    Promise.resolve({ accesskey: minio.accessKey, secretkey: minio.secretKey }),
  );
  const provider = await createProvider(connection, DEFAULT_TUNING);
  t.after(() => {
    provider.close();
  });
  const cache = new ContentCache(path.join(await tempDir(t, "history-cache"), "c"));
  return BucketHistory.load(provider, cache, { prefix: "" });
}

test("asOf on a bucket without versioning: Stalled with VersioningNotEnabled, the last artifact still in status and storage", async (t) => {
  await minio.createBucket("plain");
  await put("plain", "a.yaml", "a: 1\n");
  const env = await makeEnv(t);
  const first = await env.sync(spec("plain"));
  const artifact = assertReady(first);
  const pinned = await env.sync(spec("plain", { asOf: new Date().toISOString() }), first.status);
  assert.equal(pinned.outcome, "stalled");
  const stalled = findCondition(pinned.status, "Stalled");
  assert.equal(stalled?.status, "True");
  assert.equal(stalled.reason, "VersioningNotEnabled");
  assert.match(stalled.message, /enable versioning on the bucket/);
  assert.equal(findCondition(pinned.status, "Ready")?.reason, "VersioningNotEnabled");
  assert.deepEqual(pinned.status.artifact, artifact);
  await access(env.store.absolute(artifact.path));
});

test("versioned MinIO with states A, B, C reconciled live", async (t) => {
  const world = await writeStates(t);
  const h = await history(t);
  await t.test(
    "asOf inside A, then inside B: exactly A's and B's files with the revision and digest of their live artifacts; status says as of when",
    async () => {
      const { env, live, status } = world;
      const pinnedA = await env.sync(spec("hist", { asOf: live.A.inside.toISOString() }), status);
      const artifactA = assertSameArtifact(pinnedA, live.A.artifact, "pinned A");
      assertSameFiles(await artifactFiles(env, artifactA), A);
      assert.equal(pinnedA.stats.scan, "pinned");
      const pinned = pinnedA.status.pinned;
      assert.ok(pinned?.resolvedAt !== undefined && pinned.asOf === live.A.inside.toISOString());
      assert.ok(new Date(pinned.resolvedAt) <= live.A.inside, "resolved at A's last write, not after asOf");
      assert.equal(pinned.objects, Object.keys(A).length);
      assert.equal(
        findCondition(pinnedA.status, "Ready")?.message,
        `stored artifact for revision '${live.A.artifact.revision}' as of ${pinned.resolvedAt} (5 objects)`,
      );
      const pinnedB = await env.sync(spec("hist", { asOf: live.B.inside.toISOString() }), pinnedA.status);
      assertSameFiles(await artifactFiles(env, assertSameArtifact(pinnedB, live.B.artifact, "pinned B")), B);
      const unpinned = await env.sync(spec("hist"), pinnedB.status);
      assertSameFiles(await artifactFiles(env, assertSameArtifact(unpinned, live.C.artifact, "unpinned")), C);
      assert.equal(unpinned.status.pinned, undefined);
      assert.equal(unpinned.stats.scan, "full");
    },
  );

  await t.test(
    "switching the pin A → live C → A downloads nothing the second time (content cache shared by key + etag)",
    async () => {
      const { env, live, status } = world;
      const asOfA = spec("hist", { asOf: live.A.inside.toISOString() });
      const first = await env.sync(asOfA, status);
      assertSameArtifact(first, live.A.artifact, "A");
      const toC = await env.sync(spec("hist"), first.status);
      assertSameArtifact(toC, live.C.artifact, "C");
      assert.equal(toC.stats.downloaded, 0, `C after A: ${brief(toC)}`);
      const again = await env.sync(asOfA, toC.status);
      assertSameArtifact(again, live.A.artifact, "A again");
      assert.equal(again.stats.downloaded, 0, `A again: ${brief(again)}`);
      assert.equal(again.stats.getRequests, 0, `A again: ${brief(again)}`);
    },
  );

  await t.test(
    "a pinned Bucket given bucket events scans its pinned state; unpinned, the pinned scan is no base for events",
    async () => {
      const { env, live, status } = world;
      const events = [{ key: "app/a.yaml", deleted: false }];
      const pinned = await syncWith(env, spec("hist", { asOf: live.A.inside.toISOString() }), status, events);
      assertSameArtifact(pinned, live.A.artifact, "pinned A with events");
      assert.equal(pinned.stats.scan, "pinned");
      const unpinned = await syncWith(env, spec("hist"), pinned.status, events);
      assertSameArtifact(unpinned, live.C.artifact, "unpinned with events");
      assert.equal(unpinned.stats.scan, "full", "listed: the stored scan is the pinned one");
    },
  );

  await t.test(
    "spec.versions pins one key to A's version over the latest state; an unknown version stalls with VersionNotFound",
    async () => {
      const { env, live, status } = world;
      const versionA = live.A.written.get("app/a.yaml") ?? "";
      const result = await env.sync(spec("hist", { versions: { "app/a.yaml": versionA } }), status);
      const artifact = assertReady(result);
      assertSameFiles(await artifactFiles(env, artifact), { ...C, "app/a.yaml": A["app/a.yaml"] as string });
      assert.deepEqual(result.status.pinned, {
        objects: 5,
        versions: 1,
        resolvedAt: result.status.pinned?.resolvedAt,
      });
      const unknown = await env.sync(
        spec("hist", { versions: { "app/a.yaml": "no-such-version" } }),
        result.status,
      );
      assert.equal(unknown.outcome, "stalled");
      assert.equal(findCondition(unknown.status, "Stalled")?.reason, "VersionNotFound");
      assert.deepEqual(unknown.status.artifact, artifact, "the last artifact stays");
    },
  );

  await t.test(
    "history of A, B, C: three change points newest first with their counts and the live artifacts' revisions",
    async () => {
      const { live } = world;
      const points = await h.changePoints();
      assert.deepEqual(
        points.map((p) => [p.revision, p.objects, p.added, p.changed, p.removed]),
        [
          [live.C.artifact.revision, 5, 0, 1, 0],
          [live.B.artifact.revision, 5, 1, 2, 1],
          [live.A.artifact.revision, 5, 5, 0, 0],
        ],
      );
      assert.ok(points.every((p, i) => i === 0 || (points[i - 1] as { time: Date }).time > p.time));
      assert.ok((points[2]?.time ?? new Date()) <= live.A.inside);
    },
  );

  await t.test(
    "diff A → latest (C): added, removed and changed files and a correct unified diff of the text change",
    async () => {
      const { live } = world;
      const diff = await h.diff(live.A.artifact.revision.slice(0, 15), "latest");
      assert.deepEqual(
        [diff.added, diff.removed, diff.changed],
        [["app/c.yaml"], ["app/gone.yaml"], ["app/a.yaml", "app/b.yaml", "app/back.yaml"]],
      );
      assert.equal(diff.from.revision, live.A.artifact.revision);
      assert.equal(diff.to.revision, live.C.artifact.revision);
      const b = diff.files?.find((f) => f.key === "app/b.yaml");
      assert.equal(
        b?.patch,
        [
          "===================================================================",
          "--- a/app/b.yaml",
          "+++ b/app/b.yaml",
          "@@ -1,3 +1,3 @@",
          " kind: B",
          "-replicas: 1",
          "+replicas: 3",
          " image: b:1",
          "",
        ].join("\n"),
      );
      const gone = diff.files?.find((f) => f.key === "app/gone.yaml");
      assert.match(gone?.patch ?? "", /\n-gone: true\n$/);
      const stat = await h.diff(live.A.inside.toISOString(), live.C.inside.toISOString(), { stat: true });
      assert.deepEqual(
        [stat.added.length, stat.removed.length, stat.changed.length, stat.files],
        [1, 1, 3, undefined],
      );
    },
  );
});
