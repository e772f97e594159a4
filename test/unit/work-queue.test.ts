import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkQueue } from "../../src/kube/work-queue.js";

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("a key added many times while queued is processed once", async () => {
  const queue = new WorkQueue();
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) queue.add("ns/a");
  queue.add("ns/b");
  queue.run(2, (key) => {
    seen.push(key);
    return Promise.resolve();
  });
  await tick(20);
  await queue.shutdown();
  assert.deepEqual(seen.sort(), ["ns/a", "ns/b"]);
});

test("one reconcile in flight per key; an add during it runs once more afterwards", async () => {
  const queue = new WorkQueue();
  let running = 0;
  let maxRunning = 0;
  let calls = 0;
  let release!: () => void;
  const firstDone = new Promise<void>((r) => (release = r));
  queue.run(4, async () => {
    calls++;
    running++;
    maxRunning = Math.max(maxRunning, running);
    if (calls === 1) await firstDone;
    running--;
  });
  queue.add("ns/a");
  await tick();
  queue.add("ns/a");
  queue.add("ns/a");
  await tick();
  assert.equal(calls, 1, "not started again while the first is running");
  release();
  await tick(20);
  await queue.shutdown();
  assert.equal(calls, 2, "the adds during the run coalesce into one more run");
  assert.equal(maxRunning, 1);
});

test("addAfter delays, the earliest pending delay wins, and add() makes it immediate", async () => {
  const queue = new WorkQueue();
  const at: number[] = [];
  const start = Date.now();
  queue.run(1, () => {
    at.push(Date.now() - start);
    return Promise.resolve();
  });
  queue.addAfter("ns/a", 200);
  queue.addAfter("ns/a", 40);
  queue.addAfter("ns/a", 500);
  await tick(120);
  assert.equal(at.length, 1);
  assert.ok((at[0] ?? 0) >= 35 && (at[0] ?? 0) < 200, `ran at ${at[0]} ms`);
  queue.addAfter("ns/b", 10_000);
  queue.add("ns/b");
  await tick(20);
  assert.equal(at.length, 2, "add() overrides a pending delay");
  await queue.shutdown();
});

test("forget drops a pending delay; shutdown stops taking work", async () => {
  const queue = new WorkQueue();
  let calls = 0;
  queue.run(1, () => {
    calls++;
    return Promise.resolve();
  });
  queue.addAfter("ns/a", 30);
  queue.forget("ns/a");
  await tick(60);
  assert.equal(calls, 0);
  await queue.shutdown();
  queue.add("ns/b");
  await tick(20);
  assert.equal(calls, 0);
});
