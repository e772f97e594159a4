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
