// Segment reuse through the engine (file:// bucket): after one object changes, the next reconcile copies the
// previous artifact's unchanged segments, and its artifact is byte for byte what a cold build of the same state
// into a fresh cache and store writes.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { pino } from "pino";
import { initialStatus, type BucketStatus } from "../../src/api/status.js";
import { reconcile, type ReconcileResult } from "../../src/engine/reconcile.js";
import { ArtifactStore } from "../../src/storage/artifact-store.js";
import { tempDir } from "../support/temp.js";

interface StoredLine {
  msg: string;
  segmentsReused?: number;
  segmentsCompressed?: number;
}

/** An engine with its own store and cache under `dir`, keeping the "stored artifact" log lines it writes. */
function engine(dir: string): {
  store: ArtifactStore;
  stored: StoredLine[];
  sync(spec: unknown, status?: BucketStatus): Promise<ReconcileResult>;
} {
  const store = new ArtifactStore({
    root: path.join(dir, "storage"),
    baseUrl: "http://127.0.0.1:1",
    retentionRecords: 2,
    retentionTtlMs: 60_000,
  });
  const stored: StoredLine[] = [];
  const logger = pino(
    { level: "info" },
    {
      write(line: string): void {
        const parsed = JSON.parse(line) as StoredLine;
        if (parsed.msg === "stored artifact") stored.push(parsed);
      },
    },
  );
  return {
    store,
    stored,
    sync: (spec, status = initialStatus()) =>
      reconcile(
        { ref: { namespace: "default", name: "reuse" }, generation: 1, spec, status },
        {
          store,
          readSecret: () => Promise.resolve(undefined),
          cacheRoot: path.join(dir, "cache"),
          logger,
          concurrency: 8,
        },
      ),
  };
}

test("a reconcile after one object changed reuses segments and equals a cold build of the same state", async (t) => {
  const dir = await tempDir(t, "reuse");
  const bucket = path.join(dir, "bucket");
  // Enough data for several ~1 MiB segments: 400 manifests with incompressible values, and two charts.
  for (let i = 0; i < 400; i++) {
    const file = path.join(bucket, `team-${i % 5}`, `manifest-${i}.yaml`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `kind: ConfigMap\ndata: {v: ${randomBytes(3000 + i).toString("base64")}}\n`);
  }
  await mkdir(path.join(bucket, "charts"), { recursive: true });
  await writeFile(path.join(bucket, "charts/a.tgz"), randomBytes(1_500_000));
  await writeFile(path.join(bucket, "charts/b.tgz"), randomBytes(1_200_000));
  const spec = { url: `file://${bucket}`, interval: "5m" };

  const warm = engine(path.join(dir, "warm"));
  const first = await warm.sync(spec);
  assert.equal(first.outcome, "stored", first.error?.message);
  assert.equal(warm.stored[0]?.segmentsReused, 0, "a cold build reuses nothing");
  const segments = warm.stored[0]?.segmentsCompressed ?? 0;
  assert.ok(segments >= 4, `${segments} segments`);

  // One object changed (a different length, so its file:// etag changes whatever the clock).
  await writeFile(path.join(bucket, "team-2/manifest-202.yaml"), "kind: ConfigMap\ndata: {v: changed}\n");
  const second = await warm.sync(spec, first.status);
  assert.equal(second.outcome, "stored", second.error?.message);
  assert.equal(second.stats.downloaded, 1, "only the changed object is read");
  const line = warm.stored[1];
  assert.ok(line && (line.segmentsReused ?? 0) > 0, `segments reused: ${JSON.stringify(line)}`);
  assert.ok(
    (line.segmentsCompressed ?? Infinity) <= 2,
    `only the changed segment is compressed: ${JSON.stringify(line)}`,
  );
  assert.notEqual(second.status.artifact?.digest, first.status.artifact?.digest);

  // The same state, built cold into a fresh cache and store.
  const cold = engine(path.join(dir, "cold"));
  const fresh = await cold.sync(spec);
  assert.equal(fresh.outcome, "stored", fresh.error?.message);
  assert.equal(cold.stored[0]?.segmentsReused, 0);
  const a = second.status.artifact;
  const b = fresh.status.artifact;
  assert.ok(a && b);
  assert.equal(a.digest, b.digest);
  assert.equal(a.size, b.size);
  const bytesA = await readFile(warm.store.absolute(a.path));
  const bytesB = await readFile(cold.store.absolute(b.path));
  assert.ok(bytesA.equals(bytesB), "the incremental artifact is byte-identical to the cold build");
});
