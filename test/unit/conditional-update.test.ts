// updateObject (the read-modify-write loop of index.yaml) on a real file:// bucket: each write is conditional on
// what was read, a writer that slips in between makes it read again and re-apply, and the retries are bounded.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import {
  backoff,
  DEFAULT_UPDATE_POLICY,
  updateObject,
  UpdateContentionError,
  type UpdateStore,
} from "../../src/publish/conditional-update.js";
import { createFileProvider } from "../../src/providers/file.js";
import { ProviderError, type PutOptions } from "../../src/providers/types.js";
import { tempDir } from "../support/temp.js";

const KEY = "list.txt";

/** A file:// bucket whose puts are recorded with their conditions; delays are recorded instead of slept. */
async function bucket(t: test.TestContext): Promise<{
  root: string;
  store: UpdateStore;
  puts: PutOptions[];
  delays: number[];
  sleep: (ms: number) => Promise<void>;
}> {
  const root = await tempDir(t, "cond-update");
  const provider = createFileProvider(root);
  const puts: PutOptions[] = [];
  const store: UpdateStore = {
    stat: (key, signal) => provider.stat(key, signal),
    get: (key, options) => provider.get(key, options),
    put: (key, body, size, options = {}) => {
      puts.push({ ...options });
      return provider.put(key, body, size, options);
    },
  };
  const delays: number[] = [];
  return {
    root,
    store,
    puts,
    delays,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

/** Appends `line` to the list (one line a entry), as a writer of the index does. */
const append =
  (line: string) =>
  (current: { bytes: Buffer } | undefined): { bytes: Buffer; value: null } => ({
    bytes: Buffer.from(`${current?.bytes.toString() ?? ""}${line}\n`),
    value: null,
  });

test("updateObject on a missing object writes it with ifNoneExists; on an existing one with ifMatch on the etag it read; no conflict, one attempt each", async (t) => {
  const b = await bucket(t);
  const first = await updateObject(b.store, KEY, append("a"), { sleep: b.sleep });
  assert.deepEqual([first.written, first.attempts, first.conflicts], [true, 1, 0]);
  const etag = (await b.store.stat(KEY))?.etag;
  const second = await updateObject(b.store, KEY, append("b"), { sleep: b.sleep });
  assert.deepEqual([second.written, second.attempts, second.conflicts], [true, 1, 0]);
  assert.deepEqual(
    b.puts.map((p) => [p.ifNoneExists, p.ifMatch]),
    [
      [true, undefined],
      [undefined, etag],
    ],
  );
  assert.equal(await readFile(path.join(b.root, KEY), "utf8"), "a\nb\n");
  assert.deepEqual(b.delays, []);
});

test("a writer that creates the object between the read and the write makes updateObject conflict, read again and keep both lines (ifNoneExists, then ifMatch)", async (t) => {
  const b = await bucket(t);
  let calls = 0;
  const result = await updateObject(
    b.store,
    KEY,
    async (current) => {
      if (++calls === 1) await writeFile(path.join(b.root, KEY), "other\n"); // the other writer wins the race
      return append("mine")(current);
    },
    { sleep: b.sleep, random: () => 0 },
  );
  assert.deepEqual([result.written, result.attempts, result.conflicts], [true, 2, 1]);
  assert.equal(await readFile(path.join(b.root, KEY), "utf8"), "other\nmine\n");
  assert.deepEqual(
    b.puts.map((p) => [p.ifNoneExists === true, p.ifMatch !== undefined]),
    [
      [true, false],
      [false, true],
    ],
  );
  assert.deepEqual(b.delays, [DEFAULT_UPDATE_POLICY.baseDelayMs / 2], "one backoff before the fresh read");
});

test("a writer that replaces the object between the read and the write (another etag) makes the If-Match write conflict; the retry re-applies the change to the new content", async (t) => {
  const b = await bucket(t);
  await writeFile(path.join(b.root, KEY), "a\n");
  let calls = 0;
  const result = await updateObject(
    b.store,
    KEY,
    async (current) => {
      // A longer body: the file's etag (size, mtime, inode) differs even within one mtime tick.
      if (++calls <= 2) await writeFile(path.join(b.root, KEY), `a\nother${calls}\n`);
      return append("mine")(current);
    },
    { sleep: b.sleep, random: () => 0 },
  );
  assert.deepEqual([result.attempts, result.conflicts], [3, 2]);
  assert.equal(await readFile(path.join(b.root, KEY), "utf8"), "a\nother2\nmine\n");
});

test("updateObject gives up after policy.maxAttempts conflicting attempts with UpdateContentionError, having backed off between them with doubling delays", async (t) => {
  const b = await bucket(t);
  let n = 0;
  const policy = { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 40 };
  await assert.rejects(
    updateObject(
      b.store,
      KEY,
      async (current) => {
        await writeFile(path.join(b.root, KEY), `interloper ${++n}\n`);
        return append("mine")(current);
      },
      { policy, sleep: b.sleep, random: () => 0.999999 },
    ),
    (error: unknown) =>
      error instanceof UpdateContentionError &&
      /5 attempts met concurrent changes \(5 conflicting writes/.test(error.message) &&
      error.cause instanceof ProviderError &&
      error.cause.kind === "Conflict",
  );
  assert.equal(n, 5, "modify ran once per attempt");
  assert.deepEqual(b.delays, [10, 20, 40, 40], "doubling, capped at maxDelayMs, no wait after the last");
  assert.equal(await readFile(path.join(b.root, KEY), "utf8"), "interloper 5\n", "our change never landed");
});

test("modify returning no bytes writes nothing (written: false); an error thrown by modify stops the loop as it is, with no retry", async (t) => {
  const b = await bucket(t);
  await writeFile(path.join(b.root, KEY), "a\n");
  const none = await updateObject(b.store, KEY, () => ({ value: "same" }), { sleep: b.sleep });
  assert.deepEqual([none.written, none.value, none.attempts], [false, "same", 1]);
  const refusal = new Error("version exists");
  let calls = 0;
  await assert.rejects(
    updateObject(
      b.store,
      KEY,
      () => {
        calls++;
        throw refusal;
      },
      { sleep: b.sleep },
    ),
    (error) => error === refusal,
  );
  assert.equal(calls, 1);
  assert.deepEqual(b.puts, []);
});

test("an object replaced between its stat and its get (the get pinned to the stat's etag fails) is read again, counted as a reread, and the change applies to the new content", async (t) => {
  const b = await bucket(t);
  await writeFile(path.join(b.root, KEY), "gone soon\n");
  let stats = 0;
  const store: UpdateStore = {
    ...b.store,
    stat: async (key) => {
      const info = await b.store.stat(key);
      if (++stats === 1) await writeFile(path.join(b.root, KEY), "replaced, longer than before\n");
      return info;
    },
  };
  const result = await updateObject(store, KEY, append("mine"), { sleep: b.sleep, random: () => 0 });
  assert.deepEqual([result.rereads, result.conflicts, result.attempts], [1, 0, 2]);
  assert.equal(await readFile(path.join(b.root, KEY), "utf8"), "replaced, longer than before\nmine\n");
});

test("an object above maxBytes is refused with ProviderError Invalid before its body is read, with no retry", async (t) => {
  const b = await bucket(t);
  await writeFile(path.join(b.root, KEY), "x".repeat(100));
  await assert.rejects(
    updateObject(b.store, KEY, append("mine"), { sleep: b.sleep, maxBytes: 10 }),
    (error: unknown) =>
      error instanceof ProviderError && error.kind === "Invalid" && /above the 10 limit/.test(error.message),
  );
  assert.deepEqual(b.delays, []);
});

test("backoff is base·2^(n−1) capped at maxDelayMs, scaled into 50–100% by the jitter", () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoff(policy, n, () => 0)),
    [50, 100, 200, 400, 500],
  );
  assert.deepEqual(
    [1, 2, 5].map((n) => backoff(policy, n, () => 0.999999)),
    [100, 200, 1000],
  );
});
