import { test } from "node:test";
import assert from "node:assert/strict";
import { buildIgnoreFilter, type IgnoreLayer } from "../../src/source/ignore-rules.js";

function check(layers: IgnoreLayer[], expected: Record<string, boolean>): void {
  const isIgnored = buildIgnoreFilter(layers);
  for (const [key, ignored] of Object.entries(expected)) {
    assert.equal(isIgnored(key), ignored, `${key} should ${ignored ? "" : "not "}be ignored`);
  }
}

void test("no layers (or only blank ones) ignore nothing", () => {
  check([], { "a.yaml": false, ".sourceignore": false });
  check([{ patterns: "  \n\n", base: "" }], { "a.yaml": false });
});

void test("gitignore globs", () => {
  check([{ patterns: "*.md\n# a comment\n\n/top.txt\ndocs/**/*.png\n?.tmp\n", base: "" }], {
    "README.md": true,
    "deep/in/here/NOTES.md": true,
    "a.yaml": false,
    "top.txt": true,
    "sub/top.txt": false, // anchored to the base
    "docs/img/x.png": true,
    "docs/x.png": true,
    "other/img/x.png": false,
    "a.tmp": true,
    "ab.tmp": false,
    "# a comment": false,
  });
});

void test("directory patterns ignore everything under the directory", () => {
  check([{ patterns: "charts/\n", base: "" }], {
    "charts/a/b.yaml": true,
    "charts/c.yaml": true,
    "apps/charts/x.yaml": true, // unanchored: any charts/ directory
    "charts.yaml": false,
    "chartsx/a.yaml": false,
  });
  check([{ patterns: "/charts/\n", base: "" }], { "charts/a/b.yaml": true, "apps/charts/x.yaml": false });
});

void test("negation re-includes within a layer; the last matching rule wins", () => {
  check([{ patterns: "*.yaml\n!keep.yaml\n", base: "" }], {
    "a.yaml": true,
    "keep.yaml": false,
    "dir/keep.yaml": false,
    "a.json": false,
  });
  check([{ patterns: "!keep.yaml\n*.yaml\n", base: "" }], { "keep.yaml": true });
});

void test("a later layer's '!' re-include wins over an earlier ignore", () => {
  check(
    [
      { patterns: "*.yaml\n", base: "" },
      { patterns: "!important.yaml\n", base: "" },
    ],
    { "a.yaml": true, "important.yaml": false, "x/important.yaml": false },
  );
});

void test("a later layer's ignore wins over an earlier re-include", () => {
  check(
    [
      { patterns: "*.yaml\n!keep.yaml\n", base: "" },
      { patterns: "keep.yaml\n", base: "" },
    ],
    { "keep.yaml": true, "a.yaml": true, "a.json": false },
  );
});

void test("a layer that does not match a key leaves the earlier verdict alone", () => {
  check(
    [
      { patterns: "*.md\n", base: "" },
      { patterns: "*.txt\n", base: "" },
    ],
    { "a.md": true, "a.txt": true, "a.yaml": false },
  );
});

void test("a layer with a base applies only under it, relative to it", () => {
  const layers: IgnoreLayer[] = [{ patterns: "/top.yaml\n*.md\nsecrets/\n", base: "path/to/" }];
  check(layers, {
    "path/to/top.yaml": true,
    "path/to/sub/top.yaml": false, // "/top.yaml" is anchored to the layer's base
    "top.yaml": false,
    "path/to/README.md": true,
    "path/to/deep/x.md": true,
    "README.md": false,
    "other/README.md": false,
    "path/tox.md": false,
    "path/to/secrets/a.yaml": true,
    "secrets/a.yaml": false,
  });
});

void test("a base without a trailing slash means the same directory", () => {
  check([{ patterns: "*.md\n", base: "path/to" }], {
    "path/to/a.md": true,
    "path/tox/a.md": false,
    "path/a.md": false,
  });
});

void test("base-relative and root layers combine in order", () => {
  check(
    [
      { patterns: "*.yaml\n", base: "" }, // root .sourceignore
      { patterns: "!keep.yaml\n", base: "path/to/" }, // prefix .sourceignore
      { patterns: "path/to/drop/\n", base: "" }, // spec.ignore
    ],
    {
      "path/to/keep.yaml": false,
      "path/to/x.yaml": true,
      "keep.yaml": true, // the re-include is under path/to/ only
      "path/to/drop/keep.yaml": true,
      "path/to/a.json": false,
    },
  );
});

void test("keys `ignore` would reject are answered, not thrown on, so scan can refuse them by name", () => {
  const isIgnored = buildIgnoreFilter([{ patterns: "*.md\nescape.yaml\n", base: "" }]);
  assert.equal(isIgnored("/abs.yaml"), false);
  assert.equal(isIgnored("./a"), false);
  assert.equal(isIgnored("a//b"), false);
  assert.equal(isIgnored("../escape.yaml"), true);
  assert.equal(isIgnored("../notes.md"), true);
});

void test("rules are case-sensitive, as in git and Flux", () => {
  const isIgnored = buildIgnoreFilter([{ patterns: "*.YAML\nDrafts/\n", base: "" }]);
  assert.equal(isIgnored("a.YAML"), true);
  assert.equal(isIgnored("a.yaml"), false);
  assert.equal(isIgnored("Drafts/x.yaml"), true);
  assert.equal(isIgnored("drafts/x.yaml"), false);
});
