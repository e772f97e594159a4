import { test } from "node:test";
import assert from "node:assert/strict";
import { UnsafeKeyError, assertSafeKey } from "../../src/source/safe-key.js";

void test("assertSafeKey accepts ordinary relative keys", () => {
  for (const key of [
    "a.yaml",
    "path/to/manifests/deploy.yaml",
    ".sourceignore",
    "dir/.hidden",
    "a..b/c...yaml",
    "..foo",
    "foo..",
    "with space/ünïcødé/日本.yaml",
    "a-b_c+d=e@f/g~h.yaml",
    "sp/a b+c%41&amp;<x>?#.yaml",
    "u/😀/\u00a0nbsp.yaml",
    `dir/${"a".repeat(255)}`,
    `${"é".repeat(127)}/x`,
  ]) {
    assert.doesNotThrow(
      () => {
        assertSafeKey(key);
      },
      `key ${JSON.stringify(key)}`,
    );
  }
});

void test("assertSafeKey refuses keys that leave the artifact or are not portable, naming the key", () => {
  const cases: [key: string, why: RegExp][] = [
    ["../escape.yaml", /\.\./],
    ["a/../../b", /\.\./],
    ["a/..", /\.\./],
    ["/abs.yaml", /absolute/],
    ["a\0b", /NUL/],
    ["a\\b", /backslash/],
    ["..\\evil", /backslash/],
    ["a//b", /empty or "\."/],
    ["./a", /empty or "\."/],
    ["a/./b", /empty or "\."/],
    ["dir/", /empty or "\."/],
    ["", /empty/],
    ["a\x01b.yaml", /control character U\+0001/],
    ["esc\x1b[31m.yaml", /control character U\+001B/],
    ["cr\r.yaml", /control character U\+000D/],
    ["lf/\n.yaml", /control character U\+000A/],
    ["tab\t.yaml", /control character U\+0009/],
    ["del\x7f.yaml", /control character U\+007F/],
    ["c1\u009b.yaml", /control character U\+009B/],
    [`dir/${"a".repeat(256)}.yaml`, /segment of 261 bytes, over the 255-byte/],
    [`${"é".repeat(128)}/x`, /segment of 256 bytes/],
  ];
  for (const [key, why] of cases) {
    assert.throws(
      () => {
        assertSafeKey(key);
      },
      (error: unknown) => {
        assert.ok(error instanceof UnsafeKeyError, `key ${JSON.stringify(key)} threw ${String(error)}`);
        assert.equal(error.key, key);
        assert.ok(error.message.includes(JSON.stringify(key)), `message names the key: ${error.message}`);
        assert.match(error.message, why);
        assert.match(error.message, /spec\.ignore/);
        return true;
      },
      `key ${JSON.stringify(key)} must be refused`,
    );
  }
});
