// planPush: the comparison of a folder's digests with the bucket's listing and index (pure; no I/O).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import type { ObjectInfo } from "../../src/providers/types.js";
import type { DigestedFile } from "../../src/publish/file-digest.js";
import type { IndexObject } from "../../src/publish/index-object.js";
import { planIsEmpty, planPush } from "../../src/publish/push-plan.js";
import type { RemoteState } from "../../src/publish/remote-state.js";

const hex = (algorithm: string, text: string): string => createHash(algorithm).update(text).digest("hex");

function file(key: string, content: string): DigestedFile {
  return {
    key,
    source: `/nowhere/${key}`,
    size: Buffer.byteLength(content),
    sha256: hex("sha256", content),
    md5: hex("md5", content),
  };
}

function listed(key: string, content: string, withMd5 = true): ObjectInfo {
  const info: ObjectInfo = { key, etag: `etag-${key}`, size: Buffer.byteLength(content) };
  if (withMd5) info.md5 = hex("md5", content);
  return info;
}

function indexOf(files: Record<string, string>): IndexObject {
  return {
    apiVersion: "bucketops.io/v1",
    kind: "BucketIndex",
    createdAt: "2026-12-01T00:00:00.000Z",
    tool: "bucketops/test",
    files: Object.fromEntries(
      Object.entries(files).map(([k, c]) => [k, { sha256: hex("sha256", c), size: Buffer.byteLength(c) }]),
    ),
  };
}

function remote(objects: ObjectInfo[], index?: IndexObject): RemoteState {
  const state: RemoteState = { objects: new Map(objects.map((o) => [o.key, o])) };
  if (index) {
    state.index = index;
    state.indexInfo = { key: ".bucketops/index.json", etag: "idx", size: 1 };
  }
  return state;
}

const noIgnore = (): boolean => false;

test("planPush without an index: a key not listed is added, a listed MD5 that differs is changed, an equal MD5 is unchanged, and the missing index is to be written", () => {
  const files = [file("a.yaml", "a"), file("b.yaml", "b2"), file("c.yaml", "c")];
  const plan = planPush(files, remote([listed("b.yaml", "b1"), listed("c.yaml", "c")]), {
    prune: false,
    isIgnored: noIgnore,
  });
  assert.deepEqual(
    plan.added.map((f) => f.key),
    ["a.yaml"],
  );
  assert.deepEqual(
    plan.changed.map((f) => f.key),
    ["b.yaml"],
  );
  assert.equal(plan.unchanged, 1);
  assert.equal(plan.index, "missing");
});

test("planPush: a listed object with no MD5 and no index record counts as changed; a size difference is changed even when the MD5 field agrees", () => {
  const files = [file("multipart.bin", "x"), file("sized.txt", "abc")];
  const sizeLie: ObjectInfo = { ...listed("sized.txt", "abc"), size: 4 };
  const plan = planPush(files, remote([listed("multipart.bin", "x", false), sizeLie]), {
    prune: false,
    isIgnored: noIgnore,
  });
  assert.deepEqual(
    plan.changed.map((f) => f.key),
    ["multipart.bin", "sized.txt"],
  );
});

test("planPush with an index: its sha256 decides over the listed MD5 (an object whose listed MD5 is not its content's, as with SSE-KMS, is unchanged when the index records the same sha256 and size)", () => {
  const files = [file("a.yaml", "a"), file("b.yaml", "b-new")];
  const notTheMd5: ObjectInfo = { ...listed("a.yaml", "a"), md5: "0".repeat(32) };
  const plan = planPush(
    files,
    remote([notTheMd5, listed("b.yaml", "b-old", false)], indexOf({ "a.yaml": "a", "b.yaml": "b-old" })),
    { prune: false, isIgnored: noIgnore },
  );
  assert.equal(plan.unchanged, 1);
  assert.deepEqual(
    plan.changed.map((f) => f.key),
    ["b.yaml"],
  );
  assert.equal(plan.index, "content");
});

test("planPush of an unchanged folder whose index lists exactly its files plans nothing (planIsEmpty), index current", () => {
  const files = [file("a.yaml", "a"), file("dir/b.yaml", "b")];
  const plan = planPush(
    files,
    remote([listed("a.yaml", "a"), listed("dir/b.yaml", "b")], indexOf({ "a.yaml": "a", "dir/b.yaml": "b" })),
    { prune: true, isIgnored: noIgnore },
  );
  assert.equal(plan.index, "current");
  assert.ok(planIsEmpty(plan));
});

test("planPush: a file removed from the folder is stale; deleted only with prune; ignored stale objects are never deleted; the index is rewritten because it lists the removed file", () => {
  const files = [file("a.yaml", "a")];
  const state = remote(
    [listed("a.yaml", "a"), listed("gone.yaml", "g"), listed("secret.env", "s")],
    indexOf({ "a.yaml": "a", "gone.yaml": "g" }),
  );
  const isIgnored = (key: string): boolean => key.endsWith(".env");
  const kept = planPush(files, state, { prune: false, isIgnored });
  assert.deepEqual(kept.stale, ["gone.yaml"]);
  assert.deepEqual(kept.deleted, []);
  assert.equal(kept.index, "content");
  const pruned = planPush(files, state, { prune: true, isIgnored });
  assert.deepEqual(pruned.deleted, ["gone.yaml"]);
});

test("planPush: an index without the signature --sign asks for is rewritten ('signature'); with it, current; an unusable index is 'invalid'", () => {
  const files = [file("a.yaml", "a")];
  const state = remote([listed("a.yaml", "a")], indexOf({ "a.yaml": "a" }));
  assert.equal(
    planPush(files, state, { prune: false, isIgnored: noIgnore, signatureOk: () => false }).index,
    "signature",
  );
  assert.equal(
    planPush(files, state, { prune: false, isIgnored: noIgnore, signatureOk: () => true }).index,
    "current",
  );
  const broken: RemoteState = { objects: state.objects, indexProblem: "index object is not valid JSON" };
  assert.equal(planPush(files, broken, { prune: false, isIgnored: noIgnore }).index, "invalid");
});

test("planPush: a file named like an Object.prototype member ('constructor') that the index does not record is compared by its listed MD5 (unchanged)", () => {
  const files = [file("constructor", "c")];
  const plan = planPush(files, remote([listed("constructor", "c")], indexOf({})), {
    prune: false,
    isIgnored: noIgnore,
  });
  assert.equal(plan.unchanged, 1);
});
