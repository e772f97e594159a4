// Property-based tests (fast-check) of the key rules and of the index and its revision (public API only).
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { findKeyConflicts } from "../../src/source/key-set.js";
import { ObjectIndex, type IndexEntry } from "../../src/source/object-index.js";
import { assertSafeKey, UnsafeKeyError } from "../../src/source/safe-key.js";

const ROOT = "/srv/artifact/root";

// Keys built from the pieces that matter to paths, plus arbitrary text and arbitrary Unicode.
const piece = fc.constantFrom(
  "..",
  ".",
  "",
  "a",
  "b.yaml",
  "é",
  "e\u0301",
  " ",
  "\\",
  "\0",
  "\x01",
  "\x1b",
  "\n",
  "~",
  "%2e",
);
const pathish = fc
  .array(piece, { minLength: 1, maxLength: 6 })
  .chain((parts) => fc.constantFrom("/", "\\", "//").map((sep) => parts.join(sep)));
const anyKey = fc.oneof(
  pathish,
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme" }),
);

function verdict(key: string): UnsafeKeyError | undefined {
  try {
    assertSafeKey(key);
    return undefined;
  } catch (error) {
    if (error instanceof UnsafeKeyError) return error;
    throw error;
  }
}

void test("assertSafeKey: an accepted key, joined or resolved under a root, stays strictly inside it, and has no control character", () => {
  fc.assert(
    fc.property(anyKey, (key) => {
      if (verdict(key) !== undefined) return;
      for (const joined of [path.join(ROOT, key), path.resolve(ROOT, key), path.posix.join(ROOT, key)]) {
        assert.ok(joined.startsWith(ROOT + path.sep), `${JSON.stringify(key)} → ${joined}`);
        assert.equal(
          path.relative(ROOT, joined).split(path.sep).join("/"),
          key,
          "the path is the key itself",
        );
      }
      // eslint-disable-next-line no-control-regex -- control characters are what an accepted key must not hold
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(key), JSON.stringify(key));
    }),
    { numRuns: 5000 },
  );
});

void test("assertSafeKey: a refused key throws only UnsafeKeyError, carrying the key, naming it and a reason and the fix", () => {
  fc.assert(
    fc.property(anyKey, (key) => {
      const error = verdict(key);
      if (error === undefined) return;
      assert.equal(error.key, key);
      assert.ok(error.message.includes(JSON.stringify(key)), error.message);
      assert.match(
        error.message,
        /is refused: .+; rename or delete the object, or exclude it with spec\.ignore$/,
      );
    }),
    { numRuns: 5000 },
  );
});

// --- key conflicts, against a naive quadratic check

const smallKey = fc
  .array(fc.constantFrom("x", "y", "é", "e\u0301", "x.yaml"), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join("/"));

void test("findKeyConflicts reports exactly the file keys that are another key's folder, and exactly the NFC twin groups", () => {
  fc.assert(
    fc.property(fc.uniqueArray(smallKey, { maxLength: 12 }), (keys) => {
      const index = new ObjectIndex(keys.map((key) => ({ key, etag: "e", size: 1 })));
      const conflicts = findKeyConflicts(index);
      const folders = new Set(conflicts.filter((c) => c.kind === "file-folder").map((c) => c.keys[0]));
      const naiveFolders = new Set(keys.filter((k) => keys.some((o) => o.startsWith(`${k}/`))));
      assert.deepEqual(folders, naiveFolders);
      for (const c of conflicts.filter((c) => c.kind === "file-folder")) {
        assert.ok(c.keys[1]?.startsWith(`${c.keys[0] ?? ""}/`), JSON.stringify(c));
      }
      const twins = conflicts.filter((c) => c.kind === "nfc-twins").map((c) => [...c.keys].sort().join("|"));
      const groups = new Map<string, string[]>();
      for (const k of keys) groups.set(k.normalize("NFC"), [...(groups.get(k.normalize("NFC")) ?? []), k]);
      const naiveTwins = [...groups.values()].filter((g) => g.length > 1).map((g) => g.sort().join("|"));
      assert.deepEqual(twins.sort(), naiveTwins.sort());
    }),
    { numRuns: 2000 },
  );
});

// --- the index and its revision

const entry = fc.record({
  key: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
  etag: fc.stringMatching(/^[0-9a-f]{8}$/),
  size: fc.nat(),
});
const entries = fc.uniqueArray(entry, { selector: (e) => e.key, maxLength: 40 });

function keysOf(index: ObjectIndex): string[] {
  return index.entries.map((e) => e.key);
}

void test("ObjectIndex: any order of the same entries gives the same entries, in UTF-8 byte order, and the same revision", () => {
  fc.assert(
    fc.property(
      entries.chain((es) => fc.tuple(fc.constant(es), fc.shuffledSubarray(es, { minLength: es.length }))),
      ([es, shuffled]) => {
        const a = new ObjectIndex(es);
        const b = new ObjectIndex(shuffled);
        assert.deepEqual(a.entries, b.entries);
        assert.equal(a.revision(), b.revision());
        assert.equal(a.size, es.length);
        const bytes = keysOf(a).map((k) => Buffer.from(k));
        for (let i = 1; i < bytes.length; i++)
          assert.ok(Buffer.compare(bytes[i - 1] ?? Buffer.alloc(0), bytes[i] ?? Buffer.alloc(0)) < 0);
        for (const e of es) assert.deepEqual(a.get(e.key), { key: e.key, etag: e.etag, size: e.size });
      },
    ),
  );
});

void test("ObjectIndex revision: stable for equal content, sha256-shaped, changed by an etag change or one entry more or less, not by a size change", () => {
  fc.assert(
    fc.property(entries, fc.nat(), fc.stringMatching(/^[0-9a-f]{8}$/), (es, pick, etag) => {
      const index = new ObjectIndex(es);
      assert.equal(index.revision(), new ObjectIndex(es.map((e) => ({ ...e }))).revision());
      assert.match(index.revision(), /^sha256:[0-9a-f]{64}$/);
      if (es.length === 0) return;
      const i = pick % es.length;
      const target = es[i] as IndexEntry;
      if (etag !== target.etag) {
        const changed = es.map((e, j) => (j === i ? { ...e, etag } : e));
        assert.notEqual(new ObjectIndex(changed).revision(), index.revision(), "an etag change");
      }
      assert.notEqual(
        new ObjectIndex(es.filter((_, j) => j !== i)).revision(),
        index.revision(),
        "a removal",
      );
      // Size is not part of Flux's revision: only keys and etags are.
      const resized = es.map((e, j) => (j === i ? { ...e, size: e.size + 1 } : e));
      assert.equal(new ObjectIndex(resized).revision(), index.revision(), "a size change alone");
    }),
  );
});

void test("ObjectIndex diff: added, changed and removed partition the key sets exactly, and diff with itself is empty", () => {
  // Two indexes over a shared key pool, so they overlap, differ and change etags.
  const pool = ["a", "b", "c", "d", "é", "e\u0301", "x/y", "x", "日本", "😀"];
  const side = fc.dictionary(fc.constantFrom(...pool), fc.constantFrom("1", "2", "3"));
  const build = (m: Record<string, string>): ObjectIndex =>
    new ObjectIndex(Object.entries(m).map(([key, etag]) => ({ key, etag, size: 1 })));
  fc.assert(
    fc.property(side, side, (prev, next) => {
      const before = build(prev);
      const after = build(next);
      const d = after.diff(before);
      const has = (m: Record<string, string>, k: string): boolean => Object.hasOwn(m, k);
      const sorted = (ks: string[]): string[] => [...ks].sort();
      assert.deepEqual(sorted(d.added), sorted(Object.keys(next).filter((k) => !has(prev, k))));
      assert.deepEqual(sorted(d.removed), sorted(Object.keys(prev).filter((k) => !has(next, k))));
      assert.deepEqual(
        sorted(d.changed),
        sorted(Object.keys(next).filter((k) => has(prev, k) && prev[k] !== next[k])),
      );
      assert.deepEqual(after.diff(after), { added: [], changed: [], removed: [] });
      const reverse = before.diff(after);
      assert.deepEqual(sorted(reverse.added), sorted(d.removed));
      assert.deepEqual(sorted(reverse.removed), sorted(d.added));
      assert.deepEqual(sorted(reverse.changed), sorted(d.changed));
      // No change at all exactly when the revisions agree.
      const empty = d.added.length + d.changed.length + d.removed.length === 0;
      assert.equal(empty, after.revision() === before.revision());
    }),
    { numRuns: 1000 },
  );
});
