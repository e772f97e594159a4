// Pinning and history on fake-gcs-server with object versioning (generations; deletions are synthesized delete
// markers at timeDeleted, see providers/gcs-versions): states A, B, C reconciled live, then reproduced by spec.asOf
// bit for bit, and found by the history with the live revisions.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { normalizeSpec } from "../../src/api/normalize.js";
import { initialStatus, type Artifact, type BucketStatus } from "../../src/api/status.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import { DEFAULT_TUNING, type ReconcileResult } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { BucketHistory } from "../../src/source/history.js";
import { artifactFiles, assertReady, assertSameFiles } from "../support/engine-assert.js";
import { engineEnv } from "../support/engine-env.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { tempDir } from "../support/temp.js";

let gcs: FakeGcsServer;

before(async () => {
  gcs = await startFakeGcs();
});

after(async () => {
  await gcs?.stop();
});

function spec(bucketName: string, pin: Record<string, unknown> = {}): Record<string, unknown> {
  return { provider: "gcp", bucketName, endpoint: gcs.hostPort, insecure: true, interval: "1h", ...pin };
}

const A: Record<string, string> = {
  "app/a.yaml": "a: 1\n",
  "app/b.yaml": "b: 1\n",
  "app/gone.yaml": "gone\n",
  "app/back.yaml": "back: 1\n",
};
const B: Record<string, string> = {
  ...A,
  "app/a.yaml": "a: 2\n",
  "app/c.yaml": "c\n",
  "app/back.yaml": "back: 2\n",
};
delete B["app/gone.yaml"];
const C: Record<string, string> = { ...B, "app/b.yaml": "b: 2\n" };

function assertSameArtifact(result: ReconcileResult, expected: Artifact, what: string): Artifact {
  const artifact = assertReady(result);
  assert.equal(artifact.revision, expected.revision, `${what}: revision`);
  assert.equal(artifact.digest, expected.digest, `${what}: digest`);
  return artifact;
}

test("fake-gcs-server generations: asOf inside A and B reproduces their live artifacts (revision, digest, files); the history has three points with the live revisions", async (t) => {
  await gcs.client.createBucket("g-pin", { versioning: { enabled: true } });
  const bucket = gcs.client.bucket("g-pin");
  const save = (key: string, body: string): Promise<void> =>
    bucket.file(key).save(body, { resumable: false });
  const env = await engineEnv(t);
  let status: BucketStatus = initialStatus();
  const live: { artifact: Artifact; inside: Date }[] = [];
  const reconcileLive = async (files: Record<string, string>): Promise<void> => {
    const result = await env.sync(spec("g-pin"), status);
    const artifact = assertReady(result);
    assertSameFiles(await artifactFiles(env, artifact), files);
    status = result.status;
    live.push({ artifact, inside: new Date() });
    await sleep(2500); // beyond the history's 2 s change window
  };
  for (const [key, body] of Object.entries(A)) await save(key, body);
  await reconcileLive(A);
  await save("app/a.yaml", B["app/a.yaml"] as string);
  await save("app/c.yaml", B["app/c.yaml"] as string);
  await gcs.deleteObject("g-pin", "app/gone.yaml");
  await gcs.deleteObject("g-pin", "app/back.yaml");
  await sleep(20); // the deletion and the re-creation apart in time
  await save("app/back.yaml", B["app/back.yaml"] as string);
  await reconcileLive(B);
  await save("app/b.yaml", C["app/b.yaml"] as string);
  await reconcileLive(C);
  const [a, b, c] = live as [(typeof live)[0], (typeof live)[0], (typeof live)[0]];

  const pinnedA = await env.sync(spec("g-pin", { asOf: a.inside.toISOString() }), status);
  assertSameFiles(await artifactFiles(env, assertSameArtifact(pinnedA, a.artifact, "pinned A")), A);
  const pinnedB = await env.sync(spec("g-pin", { asOf: b.inside.toISOString() }), pinnedA.status);
  assertSameFiles(await artifactFiles(env, assertSameArtifact(pinnedB, b.artifact, "pinned B")), B);
  const again = await env.sync(spec("g-pin", { asOf: a.inside.toISOString() }), pinnedB.status);
  assertSameArtifact(again, a.artifact, "pinned A again");
  assert.equal(again.stats.downloaded, 0, "A's generations are still cached");

  const connection = await resolveConnection(normalizeSpec(spec("g-pin")), "default", () =>
    Promise.resolve(undefined),
  );
  const provider = await createProvider(connection, DEFAULT_TUNING);
  t.after(() => {
    provider.close();
  });
  const cache = new ContentCache(path.join(await tempDir(t, "gcs-history"), "c"));
  const points = await (await BucketHistory.load(provider, cache, { prefix: "" })).changePoints();
  assert.deepEqual(
    points.map((p) => [p.revision, p.objects, p.added, p.changed, p.removed]),
    [
      [c.artifact.revision, 4, 0, 1, 0],
      [b.artifact.revision, 4, 1, 2, 1],
      [a.artifact.revision, 4, 4, 0, 0],
    ],
  );
});
