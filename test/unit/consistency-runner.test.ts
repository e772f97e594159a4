// The standalone runner follows the engine's retry hint: a Bucket waiting for a consistent state is reconciled again
// within seconds (not at its one-hour interval), at the time the hint says.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { serializeIndex } from "../../src/publish/index-object.js";
import { tempRunner } from "../support/runner.js";
import { waitFor } from "../support/wait.js";

const bucketYaml = (extra: string): string => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: local, namespace: demo}
spec: {interval: 1h, url: "file://data", ${extra}}
`;

test("settle: the runner reconciles again when the hint says (the settle time, 1.5s), not at its failure backoff (1s, then 2s)", async (t) => {
  const { runner, config } = await tempRunner(t, "settle-runner");
  await mkdir(path.join(config, "data/app"), { recursive: true });
  await writeFile(path.join(config, "data/app/a.yaml"), "a: 1\n");
  await writeFile(path.join(config, "bucket.yaml"), bucketYaml("consistency: settle, settle: 1500ms"));
  const started = Date.now();
  await runner.start();
  const stored = await waitFor(
    "the settled state to be stored",
    () => {
      const last = runner.get("demo", "local")?.lastReconcile;
      return last?.outcome === "stored" ? last : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  const elapsed = Date.parse(stored.at) - started;
  // With the failure backoff the second reconcile (at ~1s) would still wait, and the third come at ~3s.
  assert.ok(elapsed >= 1500 && elapsed < 2600, `stored after ${elapsed} ms`);
});

test("consistency: index: a Bucket waiting for its index object publishes within seconds of the index being written", async (t) => {
  const { runner, config } = await tempRunner(t, "index-runner");
  const data = path.join(config, "data");
  await mkdir(path.join(data, ".bucketops"), { recursive: true });
  await writeFile(path.join(data, "a.yaml"), "a: 1\n");
  await writeFile(path.join(config, "bucket.yaml"), bucketYaml("consistency: index"));
  await runner.start();
  const waiting = await waitFor("the first reconcile", () => runner.get("demo", "local")?.lastReconcile);
  assert.equal(waiting.outcome, "failed");
  const ready = runner.get("demo", "local")?.status.conditions.find((c) => c.type === "Ready");
  assert.equal(ready?.reason, "WaitingForConsistentUpload");
  const index = serializeIndex({
    apiVersion: "bucketops.io/v1",
    kind: "BucketIndex",
    createdAt: new Date().toISOString(),
    tool: "test",
    files: { "a.yaml": { sha256: createHash("sha256").update("a: 1\n").digest("hex"), size: 5 } },
  });
  await writeFile(path.join(data, ".bucketops/index.json"), index);
  const written = Date.now();
  const stored = await waitFor(
    "the indexed state to be stored",
    () => {
      const last = runner.get("demo", "local")?.lastReconcile;
      return last?.outcome === "stored" ? last : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  assert.ok(Date.parse(stored.at) - written < 5000, "retried in seconds, not at the 1h interval");
});
