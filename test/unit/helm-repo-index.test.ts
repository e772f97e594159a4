// index.yaml model: parse, stable serialization, add/remove, URL rewrites.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addChartVersion,
  chartVersionEntry,
  DuplicateChartVersionError,
  emptyRepoIndex,
  parseRepoIndex,
  removeChartVersion,
  RepoIndexError,
  rewriteChartUrls,
  serializeRepoIndex,
} from "../../src/helm/repo-index.js";

const meta = (name: string, version: string): { apiVersion: string; name: string; version: string } => ({
  apiVersion: "v2",
  name,
  version,
});

test("serializeRepoIndex sorts charts by name and versions newest first, whatever the insertion order", () => {
  let a = emptyRepoIndex("2026-01-01T00:00:00Z");
  let b = emptyRepoIndex("2026-01-01T00:00:00Z");
  const items = [
    meta("zeta", "1.0.0"),
    meta("alpha", "0.10.0"),
    meta("alpha", "0.9.0"),
    meta("alpha", "1.0.0-rc.1"),
  ];
  for (const m of items)
    a = addChartVersion(a, chartVersionEntry(m, `${m.name}-${m.version}.tgz`, "sha256:ab", "t"));
  for (const m of [...items].reverse())
    b = addChartVersion(b, chartVersionEntry(m, `${m.name}-${m.version}.tgz`, "sha256:ab", "t"));
  const text = serializeRepoIndex(a);
  assert.equal(text, serializeRepoIndex(b));
  const parsed = parseRepoIndex(text, "index.yaml");
  assert.deepEqual(Object.keys(parsed.entries), ["alpha", "zeta"]);
  assert.deepEqual(
    parsed.entries.alpha?.map((e) => e.version),
    ["1.0.0-rc.1", "0.10.0", "0.9.0"],
  );
  assert.equal(parsed.entries.alpha?.[0]?.digest, "ab");
  assert.match(text, /^apiVersion: v1\nentries:\n/);
});

test("addChartVersion refuses a duplicate unless forced; removeChartVersion drops an emptied chart", () => {
  let index = addChartVersion(emptyRepoIndex(), chartVersionEntry(meta("x", "1.0.0"), "u1", "d1", "t"));
  assert.throws(
    () => addChartVersion(index, chartVersionEntry(meta("x", "1.0.0"), "u2", "d2", "t")),
    DuplicateChartVersionError,
  );
  index = addChartVersion(index, chartVersionEntry(meta("x", "1.0.0"), "u2", "d2", "t"), true);
  assert.deepEqual(
    index.entries.x?.map((e) => e.urls[0]),
    ["u2"],
  );
  const { index: after, removed } = removeChartVersion(index, "x", "1.0.0");
  assert.equal(removed?.digest, "d2");
  assert.deepEqual(after.entries, {});
  assert.equal(removeChartVersion(after, "x", "1.0.0").removed, undefined);
});

test("parseRepoIndex names the file on bad YAML, skips invalid entries and keeps the rest", () => {
  assert.throws(
    () => parseRepoIndex("entries: [unclosed", "charts/index.yaml"),
    (e: unknown) => {
      assert.ok(e instanceof RepoIndexError);
      assert.match(e.message, /^charts\/index\.yaml: /);
      return true;
    },
  );
  assert.throws(() => parseRepoIndex("entries: 3\n", "i.yaml"), RepoIndexError);
  const skipped: string[] = [];
  const index = parseRepoIndex(
    "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: nope\n    urls: [a.tgz]\n  - name: a\n    version: 1.0.0\n    urls: [s3://b/a-1.0.0.tgz]\n",
    "i.yaml",
    (chart, reason) => skipped.push(`${chart}: ${reason}`),
  );
  assert.deepEqual(skipped, ['a: version "nope" is not SemVer']);
  assert.deepEqual(
    index.entries.a?.map((e) => e.version),
    ["1.0.0"],
  );
  assert.deepEqual(parseRepoIndex("", "i.yaml").entries, {});
});

test("rewriteChartUrls maps every URL of every entry", () => {
  const index = parseRepoIndex(
    "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [s3://b/charts/a-1.0.0.tgz, a-1.0.0.tgz]\n",
    "i.yaml",
  );
  const out = rewriteChartUrls(index, (url) => `http://x/${url.split("/").pop() ?? ""}`);
  assert.deepEqual(out.entries.a?.[0]?.urls, ["http://x/a-1.0.0.tgz", "http://x/a-1.0.0.tgz"]);
  assert.deepEqual(
    index.entries.a?.[0]?.urls,
    ["s3://b/charts/a-1.0.0.tgz", "a-1.0.0.tgz"],
    "input unchanged",
  );
});
