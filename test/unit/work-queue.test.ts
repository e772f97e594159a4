import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkQueue } from "../../src/kube/work-queue.js";

// Lets the workers' promise chains run to completion (handlers here resolve at once); no wall-clock sleep.
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
};

test("a key added many times while queued is processed once", async () => {
  const queue = new WorkQueue();
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) queue.add("ns/a");
  queue.add("ns/b");
  queue.run(2, (key) => {
    seen.push(key);
    return Promise.resolve();
  });
  await settle();
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
  await settle();
  queue.add("ns/a");
  queue.add("ns/a");
  await settle();
  assert.equal(calls, 1, "not started again while the first is running");
  release();
  await settle();
  await queue.shutdown();
  assert.equal(calls, 2, "the adds during the run coalesce into one more run");
  assert.equal(maxRunning, 1);
});

test("addAfter delays, the earliest pending delay wins, and add() makes it immediate", async (t) => {
  // Mocked clock: the delays are checked to the millisecond, whatever the machine's load.
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
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
  t.mock.timers.tick(39);
  await settle();
  assert.deepEqual(at, [], "not before its 40 ms delay");
  t.mock.timers.tick(1);
  await settle();
  assert.deepEqual(at, [40], "at the earliest delay");
  t.mock.timers.tick(1_000);
  await settle();
  assert.deepEqual(at, [40], "the later delays of the same key were dropped");
  queue.addAfter("ns/b", 10_000);
  queue.add("ns/b");
  await settle();
  assert.deepEqual(at, [40, 1_040], "add() overrides a pending delay");
  t.mock.timers.tick(10_000);
  await settle();
  assert.equal(at.length, 2, "and the overridden delay does not fire again");
  await queue.shutdown();
});

test("forget drops a pending delay; shutdown stops taking work", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const queue = new WorkQueue();
  let calls = 0;
  queue.run(1, () => {
    calls++;
    return Promise.resolve();
  });
  queue.addAfter("ns/a", 30);
  queue.forget("ns/a");
  t.mock.timers.tick(1_000);
  await settle();
  assert.equal(calls, 0);
  await queue.shutdown();
  queue.add("ns/b");
  await settle();
  assert.equal(calls, 0);
});
