import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { writeTarGz, type ArchiveEntry } from "../../src/artifact/tarball.js";
import { CacheTable } from "../../src/source/cache-table.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { ObjectIndex, ObjectIndexBuilder, type IndexEntry } from "../../src/source/object-index.js";
import { tempDir } from "../support/temp.js";

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The index as a plain sorted array and Map, the reference the packed one must agree with. */
function reference(entries: IndexEntry[]): { sorted: IndexEntry[]; byKey: Map<string, IndexEntry> } {
  const sorted = entries.map((e) => ({ ...e })).sort((a, b) => byBytes(a.key, b.key));
  return { sorted, byKey: new Map(sorted.map((e) => [e.key, e])) };
}

const entriesArb = fc.uniqueArray(
  fc.record({
    key: fc.string({ minLength: 1, maxLength: 12, unit: "binary" }),
    etag: fc.string({ maxLength: 8 }),
    size: fc.nat(),
  }),
  { selector: (e) => e.key, maxLength: 60 },
);

void test("packed index: iteration, at(), get() and totalBytes agree with a sorted array and a Map (property)", () => {
  fc.assert(
    fc.property(entriesArb, fc.string({ maxLength: 12, unit: "binary" }), (entries, probe) => {
      const index = new ObjectIndex(entries);
      const { sorted, byKey } = reference(entries);
      assert.deepEqual([...index], sorted);
      assert.deepEqual(index.entries, sorted);
      assert.equal(index.size, sorted.length);
      sorted.forEach((e, i) => {
        assert.deepEqual(index.at(i), e);
      });
      for (const e of sorted) assert.deepEqual(index.get(e.key), e);
      assert.deepEqual(index.get(probe), byKey.get(probe));
      assert.equal(
        index.totalBytes,
        sorted.reduce((s, e) => s + e.size, 0),
      );
      const lines = sorted.map((e) => `${e.key} ${e.etag}\n`).join("");
      assert.equal(index.revision(), `sha256:${createHash("sha256").update(lines).digest("hex")}`);
    }),
  );
});

void test("packed index: a builder gives the same index as the constructor from entries", () => {
  const entries = [
    { key: "b", etag: "2", size: 2 },
    { key: "a/é", etag: "1", size: 1 },
    { key: "a-b", etag: "3", size: 3 },
  ];
  const builder = new ObjectIndexBuilder();
  for (const e of entries) builder.add(e.key, e.etag, e.size);
  assert.equal(builder.length, 3);
  const built = new ObjectIndex(builder);
  assert.deepEqual([...built], [...new ObjectIndex(entries)]);
  assert.equal(built.revision(), new ObjectIndex(entries).revision());
});

void test("packed index: diff() equals the added/changed/removed of a Map comparison (property)", () => {
  fc.assert(
    fc.property(entriesArb, entriesArb, (now, before) => {
      const diff = new ObjectIndex(now).diff(new ObjectIndex(before));
      const { sorted, byKey: current } = reference(now);
      const { sorted: old, byKey: previous } = reference(before);
      assert.deepEqual(
        diff.added,
        sorted.filter((e) => !previous.has(e.key)).map((e) => e.key),
      );
      assert.deepEqual(
        diff.changed,
        sorted.filter((e) => previous.has(e.key) && previous.get(e.key)?.etag !== e.etag).map((e) => e.key),
      );
      assert.deepEqual(
        diff.removed,
        old.filter((e) => !current.has(e.key)).map((e) => e.key),
      );
    }),
  );
});

function pick(list: readonly ArchiveEntry[], i: number): ArchiveEntry {
  const entry = list[i];
  if (!entry) throw new Error(`no entry ${i}`);
  return entry;
}

const name = (i: number): string => createHash("sha256").update(`entry ${i}`).digest("hex");

void test("cache table: set/get/has/delete agree with a Map over 5,000 names, and write/read round-trips the live ones", async (t) => {
  const dir = await tempDir(t);
  const table = new CacheTable();
  const map = new Map<string, { pack: string | undefined; offset: number; size: number }>();
  for (let i = 0; i < 5000; i++) {
    const entry = { pack: i % 3 === 0 ? undefined : `pack-${i % 7}.bin`, offset: i * 10, size: i };
    table.set(name(i), entry);
    map.set(name(i), entry);
  }
  for (let i = 0; i < 5000; i += 4) {
    assert.equal(table.delete(name(i)), true);
    map.delete(name(i));
  }
  table.set(name(8), { pack: "pack-x.bin", offset: 1, size: 2 }); // revives a deleted row
  map.set(name(8), { pack: "pack-x.bin", offset: 1, size: 2 });
  assert.equal(table.size, map.size);
  for (let i = 0; i < 5001; i++) {
    assert.equal(table.has(name(i)), map.has(name(i)), `has ${i}`);
    assert.deepEqual(table.get(name(i)), map.get(name(i)), `get ${i}`);
  }
  const file = path.join(dir, "table.bin");
  await table.write(file);
  const read = await CacheTable.read(file);
  assert.ok(read);
  assert.deepEqual(new Map(read), map);
  await writeFile(file, Buffer.from("bucketops-cache-2\nshort"));
  assert.equal(await CacheTable.read(file), undefined, "a truncated table is not used");
});

void test("content cache: an index of format 1 (JSON) is still read, and the next flush replaces it with format 2", async (t) => {
  const dir = await tempDir(t);
  const entry = createHash("sha256").update("k").update("\0").update("e").digest("hex");
  await writeFile(path.join(dir, "pack-a.bin"), "hello");
  await writeFile(
    path.join(dir, ".meta-cache-index.json"),
    JSON.stringify({ format: "bucketops-cache-1", entries: { [entry]: ["pack-a.bin", 0, 5] } }),
  );
  const cache = new ContentCache(dir);
  assert.equal((await cache.read("k", "e")).toString(), "hello");
  await cache.put("k2", "e", Readable.from([Buffer.from("x")]), 1);
  await cache.flush();
  const files = await readdir(dir);
  assert.ok(files.includes(".meta-cache-index-2.bin"), files.join(" "));
  assert.ok(!files.includes(".meta-cache-index.json"), files.join(" "));
  const again = new ContentCache(dir);
  assert.equal((await again.read("k", "e")).toString(), "hello");
  assert.equal((await again.read("k2", "e")).toString(), "x");
});

void test("writeTarGz: entries read by position give the bytes of the same entries as an array; unsorted ones are refused", async (t) => {
  const dir = await tempDir(t);
  const entries: ArchiveEntry[] = [];
  for (const [i, key] of ["z.yaml", "a/b/c.yaml", "a/b-c.yaml", "a/b/d.yaml", "a/é/f", "b"].entries()) {
    const file = path.join(dir, `f${i}`);
    await writeFile(file, `content ${i}\n`.repeat(i + 1));
    entries.push({ name: key, file, size: `content ${i}\n`.length * (i + 1), contentId: `e${i}` });
  }
  const fromArray = await writeTarGz(entries, path.join(dir, "array.tar.gz"));
  const sorted = [...entries].sort((a, b) => byBytes(a.name, b.name));
  const fromSource = await writeTarGz(
    { length: sorted.length, at: (i) => pick(sorted, i) },
    path.join(dir, "source.tar.gz"),
  );
  assert.equal(fromSource.digest, fromArray.digest);
  await assert.rejects(
    writeTarGz({ length: entries.length, at: (i) => pick(entries, i) }, path.join(dir, "x.tar.gz")),
    /not sorted/,
  );
});

test("the listed MD5 survives the packed index: none, equal to the etag, or its own, through sorting, builder copies and lookups", () => {
  const md5 = "0123456789abcdef0123456789abcdef";
  const input: IndexEntry[] = [
    { key: "z-own", etag: "etag-z", size: 3, md5 },
    { key: "a-none", etag: "etag-a", size: 1 },
    { key: "m-etag", etag: md5, size: 2, md5 },
  ];
  const index = new ObjectIndex(input); // unsorted input: rewritten in key order
  const expected = [input[1], input[2], input[0]];
  assert.deepEqual([...index], expected);
  assert.equal(index.md5At(0), undefined);
  assert.equal(index.md5At(1), md5);
  assert.equal(index.get("z-own")?.md5, md5);
  const kept = new ObjectIndexBuilder(); // what the scan does when some keys are ignored
  kept.addFrom(index, 0);
  kept.addFrom(index, 2);
  assert.deepEqual([...new ObjectIndex(kept)], [input[1], input[0]]);
});
