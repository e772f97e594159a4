// The event-driven index without a server: applying key updates to a packed index, and the stored scan on disk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { applyUpdates, type KeyUpdate } from "../../src/source/apply-changes.js";
import { ObjectIndex, type IndexEntry } from "../../src/source/object-index.js";
import { readScanState, writeScanState, type StoredScan } from "../../src/source/scan-state.js";
import { tempDir } from "../support/temp.js";

const keyArb = fc.oneof(
  fc.constantFrom("a", "a/b", "a-b", "b", "é", "e\u0301", "z/y/x", "日本"),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const recordArb = fc.record(
  {
    etag: fc.string({ maxLength: 8 }),
    size: fc.nat(),
    md5: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
  },
  { requiredKeys: ["etag", "size"] },
);
const entriesArb = fc.uniqueArray(
  fc.record({ key: keyArb, etag: fc.string({ maxLength: 8 }), size: fc.nat() }),
  { selector: (e) => e.key, maxLength: 40 },
);
const updatesArb = fc.uniqueArray(fc.tuple(keyArb, fc.option(recordArb, { nil: undefined })), {
  selector: ([key]) => key,
  maxLength: 20,
});

/** What a listing of the bucket after the updates would index: the reference applyUpdates must equal. */
function reference(base: IndexEntry[], updates: [string, KeyUpdate][]): ObjectIndex {
  const map = new Map(base.map((e) => [e.key, e]));
  for (const [key, update] of updates) {
    if (update === undefined) map.delete(key);
    else map.set(key, { key, ...update });
  }
  return new ObjectIndex(map.values());
}

void test("applyUpdates: entries (key, etag, size, md5) and revision equal a fresh index of the updated records (property)", () => {
  fc.assert(
    fc.property(entriesArb, updatesArb, (base, updates) => {
      const got = applyUpdates(new ObjectIndex(base), new Map(updates));
      const want = reference(base, updates);
      assert.deepEqual([...got], [...want]);
      assert.equal(got.revision(), want.revision());
      for (const e of want) assert.deepEqual(got.get(e.key), e);
    }),
    { numRuns: 500 },
  );
});

void test("applyUpdates: no updates returns the same index; dropping an absent key changes nothing", () => {
  const index = new ObjectIndex([
    { key: "a", etag: "1", size: 1 },
    { key: "b", etag: "2", size: 2 },
  ]);
  assert.equal(applyUpdates(index, new Map()), index);
  assert.equal(applyUpdates(index, new Map([["c", undefined]])).revision(), index.revision());
});

function storedScan(entries: IndexEntry[]): StoredScan {
  return {
    settings: { source: '["generic","127.0.0.1:9000","","b"]', prefix: "apps/", ignore: "*.md" },
    ignoreLayers: [
      { patterns: "secret/\n", base: "" },
      { patterns: "*.md", base: "" },
    ],
    ignoreFiles: [{ key: ".sourceignore", etag: "e1" }],
    control: [{ key: "apps/.bucketops/index.json", etag: "i1", size: 120 }],
    index: new ObjectIndex(entries),
  };
}

void test("scan state: write then read gives the same settings, ignore layers and files, and entries with md5s (property)", async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, "scan.bin");
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(
        fc
          .record({ key: keyArb, etag: fc.string({ maxLength: 8 }), size: fc.nat() })
          .chain((e) => fc.constantFrom<IndexEntry>(e, { ...e, md5: e.etag }, { ...e, md5: "0123abcd" })),
        { selector: (e) => e.key, maxLength: 30 },
      ),
      async (entries) => {
        const scan = storedScan(entries);
        await writeScanState(file, scan);
        const read = await readScanState(file);
        assert.ok(read);
        assert.deepEqual(read.settings, scan.settings);
        assert.deepEqual(read.ignoreLayers, scan.ignoreLayers);
        assert.deepEqual(read.ignoreFiles, scan.ignoreFiles);
        assert.deepEqual([...read.index], [...scan.index]);
        assert.equal(read.index.revision(), scan.index.revision());
      },
    ),
    { numRuns: 100 },
  );
});

void test("scan state: a missing, truncated, bit-flipped or foreign file reads as undefined", async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, "scan.bin");
  assert.equal(await readScanState(file), undefined, "missing");
  const entries = Array.from({ length: 100 }, (_, i) => ({ key: `k/${i}`, etag: `e${i}`, size: i }));
  await writeScanState(file, storedScan(entries));
  const good = await readFile(file);
  assert.ok(await readScanState(file), "the intact file reads");
  await writeFile(file, good.subarray(0, good.length - 3));
  assert.equal(await readScanState(file), undefined, "truncated");
  const flipped = Buffer.from(good);
  flipped[good.length - 50] = (flipped[good.length - 50] ?? 0) ^ 1;
  await writeFile(file, flipped);
  assert.equal(await readScanState(file), undefined, "one bit flipped in the body");
  await writeFile(file, "{}\n");
  assert.equal(await readScanState(file), undefined, "not a stored scan");
});

void test("scan state: 10,000 and 100,000 keys are written and read back within a second each (timings in the diagnostics)", async (t) => {
  const dir = await tempDir(t);
  for (const count of [10_000, 100_000]) {
    const entries = Array.from({ length: count }, (_, i) => ({
      key: `apps/team-${i % 10}/app-${Math.floor(i / 10) % 100}/manifest-${String(i).padStart(7, "0")}.yaml`,
      etag: (i * 2654435761).toString(16).padStart(32, "0").slice(-32),
      size: 4096 + (i % 100),
    })).map((e) => ({ ...e, md5: e.etag }));
    const scan = storedScan(entries);
    const file = path.join(dir, `scan-${count}.bin`);
    const t0 = performance.now();
    await writeScanState(file, scan);
    const t1 = performance.now();
    const read = await readScanState(file);
    const t2 = performance.now();
    assert.equal(read?.index.size, count);
    assert.equal(read.index.revision(), scan.index.revision());
    const bytes = (await readFile(file)).length;
    t.diagnostic(
      `${count} keys: ${(bytes / 2 ** 20).toFixed(1)} MiB, write ${(t1 - t0).toFixed(0)} ms, read ${(t2 - t1).toFixed(0)} ms`,
    );
    assert.ok(t1 - t0 < 1000, `write took ${t1 - t0} ms`);
    assert.ok(t2 - t1 < 1000, `read took ${t2 - t1} ms`);
  }
});
