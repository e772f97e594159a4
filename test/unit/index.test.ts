import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ObjectIndex, type IndexEntry } from "../../src/source/object-index.js";

function entry(key: string, etag = `etag-${key}`, size = 1): IndexEntry {
  return { key, etag, size };
}

/** Flux's bucket revision, computed here without the code under test. */
function expectedRevision(pairs: [key: string, etag: string][]): string {
  const lines = pairs.map(([k, e]) => `${k} ${e}\n`).join("");
  return `sha256:${createHash("sha256").update(lines, "utf8").digest("hex")}`;
}

void test("keys sort by UTF-8 bytes: '-' (0x2d) before '/' (0x2f) before letters", () => {
  const index = new ObjectIndex([
    entry("a/b"),
    entry("b"),
    entry("a-b"),
    entry("a.b"),
    entry("A"),
    entry("a"),
  ]);
  assert.deepEqual(
    index.entries.map((e) => e.key),
    ["A", "a", "a-b", "a.b", "a/b", "b"],
  );
});

void test("non-ASCII keys sort by UTF-8 bytes, not UTF-16 code units", () => {
  // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, but after it in UTF-16 (FF21 > D83D).
  const fullwidthA = "\uFF21.yaml";
  const emoji = "\u{1F600}.yaml";
  assert.ok(emoji < fullwidthA, "JavaScript's default order differs, so this case tests something");
  const index = new ObjectIndex([entry(emoji), entry("z.yaml"), entry(fullwidthA), entry("é.yaml")]);
  assert.deepEqual(
    index.entries.map((e) => e.key),
    ["z.yaml", "é.yaml", fullwidthA, emoji],
  );
});

void test("revision is sha256 over '<key> <etag>\\n' lines in key order", () => {
  const index = new ObjectIndex([
    entry("b.yaml", '"etag-b"'),
    entry("a/x.yaml", "etag-ax"),
    entry("ä.yaml", "e3"),
  ]);
  assert.equal(
    index.revision(),
    expectedRevision([
      ["a/x.yaml", "etag-ax"],
      ["b.yaml", '"etag-b"'],
      ["ä.yaml", "e3"],
    ]),
  );
  assert.match(index.revision(), /^sha256:[0-9a-f]{64}$/);
});

void test("the revision of an empty index is sha256 of nothing", () => {
  assert.equal(
    new ObjectIndex([]).revision(),
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

void test("revision is stable across insertion order and sensitive to every key and etag", () => {
  const [c, ab, aDashB, b] = [entry("c"), entry("a/b"), entry("a-b"), entry("b", "x")];
  const entries = [c, ab, aDashB, b];
  const base = new ObjectIndex(entries).revision();
  assert.equal(new ObjectIndex([...entries].reverse()).revision(), base);
  assert.equal(new ObjectIndex([aDashB, c, b, ab]).revision(), base);
  assert.notEqual(
    new ObjectIndex([entry("c"), entry("a/b"), entry("a-b"), entry("b", "y")]).revision(),
    base,
  );
  assert.notEqual(new ObjectIndex([entry("c"), entry("a/b"), entry("a-b")]).revision(), base);
  assert.notEqual(new ObjectIndex([...entries, entry("d")]).revision(), base);
  // Size is not part of the revision (Flux hashes key and etag only).
  assert.equal(new ObjectIndex(entries.map((e) => ({ ...e, size: e.size + 100 }))).revision(), base);
});

void test("size, totalBytes and get", () => {
  const index = new ObjectIndex([entry("a", "1", 10), entry("b", "2", 32)]);
  assert.equal(index.size, 2);
  assert.equal(index.totalBytes, 42);
  assert.deepEqual(index.get("b"), entry("b", "2", 32));
  assert.equal(index.get("c"), undefined);
});

void test("diff reports added, changed and removed keys", () => {
  const previous = new ObjectIndex([
    entry("keep", "1"),
    entry("change", "1"),
    entry("gone", "1"),
    entry("gone2", "1"),
  ]);
  const next = new ObjectIndex([
    entry("new", "1"),
    entry("change", "2"),
    entry("keep", "1", 99),
    entry("a-new", "1"),
  ]);
  assert.deepEqual(next.diff(previous), {
    added: ["a-new", "new"],
    changed: ["change"],
    removed: ["gone", "gone2"],
  });
  assert.deepEqual(previous.diff(next), {
    added: ["gone", "gone2"],
    changed: ["change"],
    removed: ["a-new", "new"],
  });
  assert.deepEqual(next.diff(next), { added: [], changed: [], removed: [] });
  assert.deepEqual(next.diff(new ObjectIndex([])), {
    added: ["a-new", "change", "keep", "new"],
    changed: [],
    removed: [],
  });
});
