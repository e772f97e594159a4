// The standalone runner on a file:// bucket: edits apply, a broken YAML file keeps what it served, removal deletes.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { tempRunner } from "../support/runner.js";
import { waitFor } from "../support/wait.js";

const bucketYaml = (ignore: string): string => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: local, namespace: demo}
spec: {interval: 10m, url: "file://data", ignore: "${ignore}"}
`;

test("a YAML typo keeps the Bucket and its artifact; removing the document deletes them", async (t) => {
  const { runner, config, store } = await tempRunner(t, "runner", {
    concurrency: 4,
    concurrentReconciles: 1,
  });
  await mkdir(path.join(config, "data/app"), { recursive: true });
  await writeFile(path.join(config, "data/app/a.yaml"), "a: 1\n");
  await writeFile(path.join(config, "data/app/b.md"), "notes\n");
  const file = path.join(config, "bucket.yaml");
  await writeFile(file, bucketYaml("*.md"));
  await runner.start();

  // start() kicks the first reconcile; once it is done, it has stored the artifact and a second finds no change.
  const started = await waitFor("the first reconcile", () => {
    const view = runner.get("demo", "local");
    return view && !view.reconciling && view.lastReconcile ? view.lastReconcile : undefined;
  });
  assert.equal(started.outcome, "stored");
  const first = await runner.reconcileNow("demo", "local");
  assert.equal(first?.outcome, "unchanged", first?.error?.message);
  assert.equal(first.stats.objects, 1, "*.md is ignored");
  const artifact = first.status.artifact;
  assert.ok(artifact && (await store.exists(artifact)));

  await writeFile(file, bucketYaml("*.md") + "  oops: [unclosed\n");
  await runner.reload();
  assert.ok(
    runner.folderProblems().some((p) => p.file === file),
    "the broken file is reported",
  );
  assert.equal(runner.get("demo", "local")?.status.artifact?.digest, artifact.digest, "the Bucket is kept");
  assert.ok(await store.exists(artifact), "its artifact is still served");

  await writeFile(file, bucketYaml(""));
  await runner.reload();
  const edited = await runner.reconcileNow("demo", "local");
  assert.equal(edited?.stats.objects, 2, "the edited spec.ignore applies");
  assert.equal(runner.get("demo", "local")?.generation, 2, "an edit bumps the generation");

  await writeFile(file, "# no Buckets any more\n");
  await runner.reload();
  assert.equal(runner.get("demo", "local"), undefined);
  assert.equal(
    await store.exists(edited.status.artifact ?? { path: "bucket/demo/local/none" }),
    false,
    "artifacts deleted",
  );
});
