// Where chart publishing puts things under a prefix, and which archive an index entry's URL names.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChartVersionEntry } from "../../src/helm/repo-index.js";
import { chartKey, chartUrl, entryArchiveKey, repoIndexKey } from "../../src/publish/chart-repo.js";

const entry = (url: string): ChartVersionEntry => ({
  apiVersion: "v2",
  name: "app",
  version: "1.0.0",
  urls: [url],
});

test("repoIndexKey and chartKey put index.yaml and <name>-<version>.tgz in the prefix's folder (no prefix, 'a/b' and 'a/b/' alike)", () => {
  assert.deepEqual(
    ["", "a/b", "a/b/"].map((p) => [repoIndexKey(p), chartKey(p, "app-1.0.0.tgz")]),
    [
      ["index.yaml", "app-1.0.0.tgz"],
      ["a/b/index.yaml", "a/b/app-1.0.0.tgz"],
      ["a/b/index.yaml", "a/b/app-1.0.0.tgz"],
    ],
  );
});

test("chartUrl is the relative path by default and <base>/<path> with a base URL (one slash between)", () => {
  assert.equal(chartUrl("app-1.0.0.tgz", { relative: true }), "app-1.0.0.tgz");
  assert.equal(
    chartUrl("app-1.0.0.tgz", { base: "s3://bucket/charts/" }),
    "s3://bucket/charts/app-1.0.0.tgz",
  );
  assert.equal(chartUrl("sub/app-1.0.0.tgz", { base: "https://h/x" }), "https://h/x/sub/app-1.0.0.tgz");
});

test("entryArchiveKey: a relative URL is a path under the prefix; an absolute one (s3://, https://) its last segment there; a URL leaving the folder gives undefined", () => {
  assert.equal(entryArchiveKey("p", entry("app-1.0.0.tgz")), "p/app-1.0.0.tgz");
  assert.equal(entryArchiveKey("p", entry("sub/app-1.0.0.tgz")), "p/sub/app-1.0.0.tgz");
  assert.equal(entryArchiveKey("p", entry("s3://bucket/p/app-1.0.0.tgz")), "p/app-1.0.0.tgz");
  assert.equal(entryArchiveKey("", entry("https://host/x/app%2B1-1.0.0.tgz")), "app+1-1.0.0.tgz");
  for (const bad of ["../app-1.0.0.tgz", "/etc/app.tgz", "a//b.tgz", "./a.tgz"])
    assert.equal(entryArchiveKey("p", entry(bad)), undefined, bad);
});
