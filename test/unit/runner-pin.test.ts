// The runner's pin overlay: spec.asOf over the YAML's spec, kept in the state store across a restart, the YAML
// file never rewritten; on file:// (no versions) the pinned reconcile stalls and the last artifact stays.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { pino } from "pino";
import { StandaloneRunner } from "../../src/standalone/runner.js";
import { tempRunner } from "../support/runner.js";
import { waitFor } from "../support/wait.js";

const yaml = `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: local, namespace: demo}
spec: {interval: 10m, url: "file://data"}
`;

test("setPin overlays spec.asOf and saves it with the state (a new runner over the storage has it); unpin drops it; the YAML is unchanged", async (t) => {
  const { runner, config, dir, store } = await tempRunner(t, "runner-pin");
  await mkdir(path.join(config, "data"), { recursive: true });
  await writeFile(path.join(config, "data/a.yaml"), "a: 1\n");
  const file = path.join(config, "bucket.yaml");
  await writeFile(file, yaml);
  await runner.start();
  const first = await waitFor("the first reconcile", () => runner.get("demo", "local")?.status.artifact);

  const pin = { asOf: "2026-01-01T00:00:00.000Z", to: "2026-01-01T00:00:00Z", at: new Date().toISOString() };
  const pinned = await runner.setPin("demo", "local", pin);
  assert.equal(pinned?.outcome, "stalled", "file:// keeps no versions");
  assert.match(pinned.error?.message ?? "", /versioning/i);
  const view = runner.get("demo", "local");
  assert.deepEqual(view?.pin, pin);
  assert.equal(view?.generation, 2, "a pin is a new generation");
  assert.equal(view?.status.artifact?.digest, first.digest, "the last artifact keeps serving");
  assert.deepEqual(view?.spec, { interval: "10m", url: "file://data" }, "the view's spec is the YAML's");
  assert.equal(await readFile(file, "utf8"), yaml, "the YAML file is not rewritten");

  const restarted = new StandaloneRunner({
    logger: pino({ level: "silent" }),
    concurrency: 1,
    concurrentReconciles: 1,
    watch: false,
    configDir: config,
    storageRoot: path.join(dir, "storage"),
    store,
  });
  await runner.stop();
  await restarted.start();
  t.after(() => restarted.stop());
  assert.deepEqual(restarted.get("demo", "local")?.pin, pin, "the pin survives a restart");

  const unpinned = await restarted.setPin("demo", "local", undefined);
  assert.equal(unpinned?.error, undefined);
  assert.equal(unpinned?.status.artifact?.digest, first.digest);
  assert.equal(restarted.get("demo", "local")?.pin, undefined);
  assert.equal(await restarted.setPin("demo", "nope", pin), undefined, "an unknown Bucket");
});
