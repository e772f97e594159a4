// The text form of `bucketops diff`: file lines, patches, counts, and colour only when asked for.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createTwoFilesPatch } from "diff";
import { countsLine, renderDiff } from "../../src/cli/diff-render.js";
import type { DiffJson } from "../../src/engine/time-travel.js";

const patch = createTwoFilesPatch("a/x.yaml", "b/x.yaml", "n: 1\n", "n: 2\n");
const diff: DiffJson = {
  from: { at: "2026-01-01T00:00:00.000Z", revision: `sha256:${"a".repeat(64)}`, objects: 2 },
  to: { revision: `sha256:${"b".repeat(64)}`, objects: 2 },
  added: ["y.bin"],
  removed: [],
  changed: ["x.yaml"],
  stat: { added: 1, removed: 0, changed: 1 },
  files: [
    { key: "x.yaml", change: "changed", content: "text", patch, additions: 1, deletions: 1 },
    { key: "y.bin", change: "added", content: "binary" },
  ],
};

test("renderDiff without colour: header with short revisions, M/A lines, the patch, a binary file named, the counts", () => {
  const text = renderDiff(diff, false);
  assert.ok(!text.includes("\x1b["));
  assert.match(
    text,
    /^diff sha256:aaaaaaaaaaaa \(2026-01-01T00:00:00\.000Z\) → sha256:bbbbbbbbbbbb \(latest\)$/m,
  );
  assert.match(text, /^M x\.yaml \(\+1 -1\)$/m);
  assert.match(text, /^A y\.bin$/m);
  assert.match(text, /^-n: 1\n\+n: 2$/m);
  assert.match(text, /^Binary file y\.bin added \(not shown\)$/m);
  assert.ok(text.endsWith("2 files differ: 1 added, 0 removed, 1 changed (2 → 2 objects)\n"));
});

test("renderDiff with colour paints added lines green, removed red, hunk headers cyan, and not the ---/+++ header", () => {
  const text = renderDiff(diff, true);
  const paint = (code: number, line: string): string => `\x1b[${code}m${line}\x1b[0m`;
  assert.ok(text.includes(paint(32, "+n: 2")), text);
  assert.ok(text.includes(paint(31, "-n: 1")), text);
  assert.ok(text.includes(paint(36, "@@ -1,1 +1,1 @@")), text);
  assert.ok(text.includes(paint(1, "--- a/x.yaml")), text);
  assert.ok(!text.includes(paint(31, "--- a/x.yaml")), text);
});

test("countsLine says 'file' for one", () => {
  const one: DiffJson = { ...diff, stat: { added: 0, removed: 1, changed: 0 } };
  assert.equal(countsLine(one), "1 file differ: 0 added, 1 removed, 0 changed (2 → 2 objects)");
});
