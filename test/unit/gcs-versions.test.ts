// gcsKeyVersions on object metadata shaped as the GCS JSON API documents it (objects.list with versions=true:
// generation, timeCreated, timeDeleted on noncurrent generations).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Storage, type File } from "@google-cloud/storage";
import { GCS_DELETED_SUFFIX, gcsGeneration, gcsKeyVersions } from "../../src/providers/gcs-versions.js";
import { ProviderError, type ObjectInfo } from "../../src/providers/types.js";

const bucket = new Storage({ projectId: "test", apiEndpoint: "http://127.0.0.1:1" }).bucket("b");

function generation(
  gen: string,
  timeCreated: string,
  timeDeleted?: string,
): { info: ObjectInfo; file: File } {
  const file = bucket.file("k.yaml");
  file.metadata = { name: "k.yaml", generation: gen, timeCreated, ...(timeDeleted ? { timeDeleted } : {}) };
  return { info: { key: "k.yaml", etag: `e${gen}`, size: gen.length, versionId: gen }, file };
}

const summary = (entries: ReturnType<typeof gcsKeyVersions>): string[] =>
  entries.map((e) => `${e.deleteMarker ? "x" : "v"}${e.versionId}@${e.lastModified.toISOString()}`);

void test("gcsKeyVersions: newest generation first; an overwrite (timeDeleted at or after the successor's timeCreated) is no deletion", () => {
  const entries = gcsKeyVersions([
    generation("100", "2026-12-01T10:00:00.000Z", "2026-12-01T10:01:00.000Z"),
    generation("300", "2026-12-01T10:02:00.000Z"),
    generation("200", "2026-12-01T10:01:00.000Z", "2026-12-01T10:02:00.004Z"),
  ]);
  assert.deepEqual(summary(entries), [
    "v300@2026-12-01T10:02:00.000Z",
    "v200@2026-12-01T10:01:00.000Z",
    "v100@2026-12-01T10:00:00.000Z",
  ]);
});

void test("gcsKeyVersions: a delete marker at timeDeleted for a deleted newest generation and for a gap before a re-creation", () => {
  const entries = gcsKeyVersions([
    generation("100", "2026-12-01T10:00:00.000Z", "2026-12-01T10:01:00.000Z"),
    generation("200", "2026-12-01T10:05:00.000Z", "2026-12-01T10:06:00.000Z"),
  ]);
  assert.deepEqual(summary(entries), [
    `x200${GCS_DELETED_SUFFIX}@2026-12-01T10:06:00.000Z`,
    "v200@2026-12-01T10:05:00.000Z",
    `x100${GCS_DELETED_SUFFIX}@2026-12-01T10:01:00.000Z`,
    "v100@2026-12-01T10:00:00.000Z",
  ]);
  assert.ok(entries.filter((e) => e.deleteMarker).every((e) => e.etag === "" && e.size === 0));
});

void test("gcsKeyVersions: generations compare as integers of any length, and a timeDeleted before timeCreated is ignored", () => {
  const entries = gcsKeyVersions([
    generation("99", "2026-12-01T10:00:00.000Z", "0001-01-01T00:00:00Z"),
    generation("1000", "2026-12-01T10:01:00.000Z"),
  ]);
  assert.deepEqual(summary(entries), ["v1000@2026-12-01T10:01:00.000Z", "v99@2026-12-01T10:00:00.000Z"]);
});

void test("gcsGeneration accepts decimal generations only (anything else would silently read the live object)", () => {
  assert.equal(gcsGeneration("1796169310776791", "get"), "1796169310776791");
  for (const bad of ["", "abc", "12a", "0", "-1", `1${GCS_DELETED_SUFFIX}`])
    assert.throws(
      () => gcsGeneration(bad, "get"),
      (error: unknown) => error instanceof ProviderError && error.kind === "Invalid",
      bad,
    );
});
