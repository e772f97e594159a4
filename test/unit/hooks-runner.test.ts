// StandaloneRunner.notify on a file:// bucket: events become ReconcileInput.changes, merge while a run is in
// flight, leave the interval's full listing scheduled, and never wake a suspended Bucket.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { pino } from "pino";
import { tempRunner } from "../support/runner.js";
import { waitFor } from "../support/wait.js";

const buckets = `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: local, namespace: demo}
spec: {interval: 1h, url: "file://data"}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: paused, namespace: demo}
spec: {interval: 1h, url: "file://data", suspend: true}
`;

interface EventRun {
  bucket: string;
  changes: number;
  keys: string[];
}

test("events during a reconcile merge into one follow-up carrying their keys; the interval timer stays; suspended is not woken", async (t) => {
  const lines: EventRun[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        const entry = JSON.parse(line) as EventRun & { msg: string };
        if (entry.msg === "reconciling for bucket events") lines.push(entry);
      }
      done();
    },
  });
  const { runner, config } = await tempRunner(t, "hooks-runner", { logger: pino({ level: "debug" }, sink) });
  await mkdir(path.join(config, "data"), { recursive: true });
  await writeFile(path.join(config, "data/a.yaml"), "a: 1\n");
  await writeFile(path.join(config, "buckets.yaml"), buckets);
  await runner.start();
  const idle = (): Promise<unknown> =>
    waitFor("the reconcile to finish", () => {
      const view = runner.get("demo", "local");
      return view && !view.reconciling && view.lastReconcile ? view : undefined;
    });
  await idle();
  const scheduled = runner.get("demo", "local")?.nextReconcileAt;
  assert.ok(scheduled, "the interval reconcile is scheduled");
  assert.equal(lines.length, 0, "the first reconcile is a full listing");

  assert.equal(runner.notify("demo", "local", [{ key: "a.yaml", deleted: false }]), true);
  assert.equal(runner.get("demo", "local")?.reconciling, true, "it runs at once");
  runner.notify("demo", "local", [{ key: "b.yaml", deleted: false }]);
  runner.notify("demo", "local", [{ key: "c.yaml", deleted: false }]);
  runner.notify("demo", "local", [{ key: "b.yaml", deleted: true }]);
  await waitFor("the follow-up reconcile", () => lines.length === 2);
  await idle();
  assert.deepEqual(
    lines.map((l) => [l.bucket, l.changes, l.keys.sort()]),
    [
      ["demo/local", 1, ["a.yaml"]],
      ["demo/local", 2, ["b.yaml", "c.yaml"]],
    ],
  );
  assert.equal(
    runner.get("demo", "local")?.nextReconcileAt,
    scheduled,
    "the full listing stays due at the interval",
  );

  await runner.reconcileNow("demo", "local");
  assert.equal(lines.length, 2, "an API reconcile is a full listing");
  assert.notEqual(
    runner.get("demo", "local")?.nextReconcileAt,
    scheduled,
    "a full listing schedules the next one",
  );

  assert.equal(runner.notify("demo", "paused", [{ key: "a.yaml", deleted: false }]), false);
  assert.equal(runner.notify("demo", "missing", [{ key: "a.yaml", deleted: false }]), false);
  assert.equal(runner.get("demo", "paused")?.reconciling, false);
});
