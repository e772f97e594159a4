// spec.asOf / spec.versions through the one schema: normalized, refused with the field named, in the CRD; and what
// a pinned artifact's status says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SpecError } from "../../src/api/errors.js";
import { normalizeSpec } from "../../src/api/normalize.js";
import { findCondition, initialStatus } from "../../src/api/status.js";
import { bucketCrd } from "../../src/api/crd.js";
import { scanOptions } from "../../src/engine/steps/scan-memory.js";
import { succeeded } from "../../src/engine/summarize.js";

const base = { bucketName: "b", endpoint: "minio:9000", interval: "1m" };

test("spec.asOf normalizes to a UTC ISO instant (offsets converted); spec.versions is kept as given", () => {
  assert.equal(
    normalizeSpec({ ...base, asOf: "2026-12-01T11:30:00+01:00" }).asOf,
    "2026-12-01T10:30:00.000Z",
  );
  assert.equal(normalizeSpec({ ...base, asOf: "2026-12-01T10:30:00.25Z" }).asOf, "2026-12-01T10:30:00.250Z");
  assert.deepEqual(normalizeSpec({ ...base, versions: { "a.yaml": "v1" } }).versions, { "a.yaml": "v1" });
  assert.equal(normalizeSpec(base).asOf, undefined);
});

test("spec.asOf without a zone, not a time, or not a calendar date is a SpecError naming spec.asOf", () => {
  for (const asOf of ["2026-12-01T10:30:00", "yesterday", "2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z"])
    assert.throws(
      () => normalizeSpec({ ...base, asOf }),
      (e: unknown) => e instanceof SpecError && /spec\.asOf/.test(e.message),
      asOf,
    );
  assert.throws(() => normalizeSpec({ ...base, versions: { "a.yaml": "" } }), /spec\.versions/);
});

test("the CRD has spec.asOf (with the RFC 3339 pattern), spec.versions and status.pinned", () => {
  const text = JSON.stringify(bucketCrd());
  assert.match(text, /"asOf":\{[^}]*"pattern"/);
  assert.match(text, /"versions":\{[^}]*"additionalProperties"/);
  assert.match(text, /"pinned":\{/);
});

test("a pinned spec's stored-scan settings differ from the unpinned one's (events never apply to a pinned scan)", () => {
  const live = scanOptions(normalizeSpec(base));
  const pinned = scanOptions(normalizeSpec({ ...base, asOf: "2026-12-01T10:30:00Z" }));
  assert.notEqual(pinned.source, live.source);
  assert.equal(
    live.source,
    JSON.stringify(["generic", "minio:9000", "", "b"]),
    "unpinned settings unchanged",
  );
});

test("succeeded with a pin: Ready says as of the resolved time and the object count, status.pinned is set; without, dropped", () => {
  const artifact = {
    path: "p",
    url: "u",
    revision: "sha256:abc",
    digest: "sha256:def",
    lastUpdateTime: "t",
    size: 1,
  };
  const pinned = { asOf: "2026-12-01T10:30:00.000Z", resolvedAt: "2026-12-01T10:29:58.000Z", objects: 3 };
  const args = { generation: 1, artifact, url: "u", ignore: undefined, now: new Date() };
  const status = succeeded(initialStatus(), { ...args, pinned });
  assert.equal(
    findCondition(status, "Ready")?.message,
    "stored artifact for revision 'sha256:abc' as of 2026-12-01T10:29:58.000Z (3 objects)",
  );
  assert.deepEqual(status.pinned, pinned);
  const unpinned = succeeded(status, args);
  assert.equal(unpinned.pinned, undefined);
  assert.equal(findCondition(unpinned, "Ready")?.message, "stored artifact for revision 'sha256:abc'");
});
