import { test } from "node:test";
import assert from "node:assert/strict";
import { ObjectIndex } from "../../src/source/object-index.js";
import { findKeyConflicts, KeyConflictError, assertNoKeyConflicts } from "../../src/source/key-set.js";

function indexOf(keys: readonly string[]): ObjectIndex {
  return new ObjectIndex(keys.map((key) => ({ key, etag: "e", size: 1 })));
}

void test("findKeyConflicts finds nothing among files that share folders, look alike, or are prefixes without a slash", () => {
  const keys = [
    "x-a",
    "x.yaml",
    "x/y.yaml",
    "x/z/w.yaml",
    "xy/z",
    "caf\u00e9.yaml",
    "cafe.yaml",
    "a/b/c/d.yaml",
  ];
  assert.deepEqual(findKeyConflicts(indexOf(keys)), []);
});

void test("findKeyConflicts reports a key that is the folder of another, once per file key, at any depth", () => {
  const conflicts = findKeyConflicts(indexOf(["x", "x-a", "x/y.yaml", "x/z.yaml", "a/b", "a/b/c/d", "ok"]));
  assert.deepEqual(conflicts, [
    { kind: "file-folder", keys: ["a/b", "a/b/c/d"] },
    { kind: "file-folder", keys: ["x", "x/y.yaml"] },
  ]);
});

void test("findKeyConflicts reports NFC/NFD twins, and three spellings of one name as one conflict", () => {
  const nfc = "caf\u00e9.yaml";
  const nfd = "cafe\u0301.yaml";
  assert.deepEqual(findKeyConflicts(indexOf([nfc, nfd, "ok"])), [{ kind: "nfc-twins", keys: [nfc, nfd] }]);
  // U+212B ANGSTROM SIGN, U+0041 U+030A and U+00C5 all normalize to U+00C5.
  const forms = ["\u212b", "A\u030a", "\u00c5"];
  const [conflict] = findKeyConflicts(indexOf(forms));
  assert.equal(conflict?.kind, "nfc-twins");
  assert.deepEqual([...(conflict?.keys ?? [])].sort(), [...forms].sort());
  // Two non-NFC spellings without the NFC one present are twins too.
  assert.equal(findKeyConflicts(indexOf(["\u212b", "A\u030a"])).length, 1);
  // A lone NFD key is no conflict.
  assert.deepEqual(findKeyConflicts(indexOf([nfd])), []);
});

void test("assertNoKeyConflicts throws KeyConflictError naming the keys (non-ASCII escaped) and the fix, listing at most 5", () => {
  const keys = ["caf\u00e9", "cafe\u0301"];
  for (let i = 0; i < 7; i++) keys.push(`f${i}`, `f${i}/child`);
  assert.throws(
    () => {
      assertNoKeyConflicts(indexOf(keys));
    },
    (error: unknown) => {
      assert.ok(error instanceof KeyConflictError);
      assert.equal(error.conflicts.length, 8);
      assert.match(error.message, /"f0" is both a file and the folder of "f0\/child"/);
      assert.match(error.message, /; and 3 more;/);
      assert.match(error.message, /rename or delete one object of each, or exclude one with spec\.ignore/);
      assert.ok(error.keys.includes("f6/child"), "keys lists every conflict's keys");
      return true;
    },
  );
  assert.throws(() => {
    assertNoKeyConflicts(indexOf(["caf\u00e9", "cafe\u0301"]));
  }, /"caf\\u00e9" and "cafe\\u0301" are the same name after Unicode NFC normalization/);
});

void test("findKeyConflicts looks up each folder's ancestors once per run of keys in it, not once per key", () => {
  const keys: string[] = [];
  for (let i = 0; i < 100_000; i++) keys.push(`apps/team-${i % 100}/cfg-${i}.yaml`);
  const index = indexOf(keys);
  let lookups = 0;
  const counting = {
    entries: index.entries,
    get: (key: string): unknown => {
      lookups++;
      return index.get(key);
    },
  };
  assert.deepEqual(findKeyConflicts(counting), []);
  assert.equal(lookups, 100 * 2, "100 folders, two ancestors each (apps, apps/team-N)");
});
