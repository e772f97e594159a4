// The consistency gate's logic without a server: matching a listing with the index, the wait backoff, when a
// mismatch stops counting as an upload, the trusted keys of spec.verify, the digest memo, and the spec rules.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { Readable } from "node:stream";
import { test } from "node:test";
import { SpecError } from "../../src/api/errors.js";
import { normalizeSpec } from "../../src/api/normalize.js";
import {
  ContentMismatchError,
  ConsistencyWait,
  VerificationFailedError,
} from "../../src/engine/gate/errors.js";
import { DigestMemo } from "../../src/engine/gate/digests.js";
import { waitBackoff, type GateState } from "../../src/engine/gate/gate-state.js";
import { matchIndex } from "../../src/engine/gate/match-index.js";
import { mismatchError, UPLOAD_GRACE_MS } from "../../src/engine/gate/mismatch.js";
import { trustedKeys } from "../../src/engine/gate/trusted-keys.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { ObjectIndex } from "../../src/source/object-index.js";
import { tempDir } from "../support/temp.js";

const H = "a".repeat(64);
const listing = (entries: [string, number][]): ObjectIndex =>
  new ObjectIndex(entries.map(([key, size]) => ({ key, etag: `e-${key}`, size })));
const never = (): boolean => false;

test("matchIndex: indexed keys under the prefix folder are published, unindexed listed keys are extras left out", () => {
  const m = matchIndex(
    listing([
      ["p/a.yaml", 1],
      ["p/b.yaml", 2],
      ["p/zz-stray", 3],
      ["pother/x", 4],
    ]),
    { "a.yaml": { sha256: H, size: 1 }, "b.yaml": { sha256: H, size: 2 } },
    "p/",
    never,
  );
  assert.deepEqual(
    [...m.published].map((e) => e.key),
    ["p/a.yaml", "p/b.yaml"],
  );
  assert.deepEqual(m.extras, { count: 2, first: "p/zz-stray" });
  assert.equal(m.missing.count, 0);
  assert.equal(m.sizeMismatch.count, 0);
});

test("matchIndex: missing indexed keys are counted with the first in key order; ignored ones are not required", () => {
  const m = matchIndex(
    listing([["a", 1]]),
    {
      z: { sha256: H, size: 1 },
      a: { sha256: H, size: 1 },
      m: { sha256: H, size: 1 },
      "ignored.tmp": { sha256: H, size: 1 },
    },
    "",
    (key) => key.endsWith(".tmp"),
  );
  assert.deepEqual(m.missing, { count: 2, first: "m" });
});

test("matchIndex: a listed size that differs from the index is a size mismatch; no extras keeps the listing itself", () => {
  const l = listing([
    ["a", 1],
    ["b", 5],
  ]);
  const m = matchIndex(l, { a: { sha256: H, size: 1 }, b: { sha256: H, size: 2 } }, "", never);
  assert.deepEqual(m.sizeMismatch, { count: 1, first: "b" });
  assert.equal(m.published, l);
});

test("matchIndex: an index key that is an Object.prototype name is not taken as indexed", () => {
  const m = matchIndex(listing([["constructor", 1]]), {}, "", never);
  assert.deepEqual(m.extras, { count: 1, first: "constructor" });
});

test("waitBackoff: 1s, 2s, 4s … capped at 30s and at the interval", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 40].map((n) => waitBackoff(n, 600_000)),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000],
  );
  assert.equal(waitBackoff(5, 5000), 5000);
});

test("mismatchError: a wait while young or when the index or listing changed; ContentMismatchError once unchanged past the grace", () => {
  const state: GateState = { waits: 0 };
  const t0 = Date.parse("2026-12-01T00:00:00Z");
  const seen = (ms: number, indexEtag = "i1", revision = "r1"): ConsistencyWait | ContentMismatchError =>
    mismatchError(
      { state, indexEtag, revision, now: new Date(t0 + ms), verify: true, retryAfterMs: 1000 },
      "x",
    );
  assert.ok(seen(0) instanceof ConsistencyWait);
  assert.ok(seen(UPLOAD_GRACE_MS - 1) instanceof ConsistencyWait);
  const late = seen(UPLOAD_GRACE_MS);
  assert.ok(late instanceof ContentMismatchError);
  assert.equal(late.verify, true);
  assert.ok(seen(UPLOAD_GRACE_MS + 5, "i2") instanceof ConsistencyWait, "a new index restarts the grace");
  assert.ok(
    seen(UPLOAD_GRACE_MS * 2 + 4, "i2", "r2") instanceof ConsistencyWait,
    "a new listing restarts it",
  );
  assert.ok(seen(UPLOAD_GRACE_MS * 3 + 4, "i2", "r2") instanceof ContentMismatchError);
});

test("trustedKeys: every Ed25519 SPKI PEM value is trusted, other values (notes, RSA keys) are ignored", async () => {
  const pem = (type: "ed25519" | "rsa"): string =>
    (type === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey
      : generateKeyPairSync("ed25519").publicKey
    )
      .export({ type: "spki", format: "pem" })
      .toString();
  const data = { a: pem("ed25519"), b: pem("ed25519"), rsa: pem("rsa"), notes: "hello" };
  const keys = await trustedKeys(
    (ns, name) => Promise.resolve(ns === "team" && name === "k" ? data : undefined),
    "team",
    "k",
  );
  assert.equal(keys.length, 2);
});

test("trustedKeys: a Secret with no usable key, or none at all, fails naming the keys present, never a value", async () => {
  await assert.rejects(
    trustedKeys(() => Promise.resolve({ notes: "s3cr3t-value" }), "team", "k"),
    (e: unknown) =>
      e instanceof VerificationFailedError &&
      e.message.includes("keys present: notes") &&
      !e.message.includes("s3cr3t-value"),
  );
  await assert.rejects(
    trustedKeys(() => Promise.resolve(undefined), "team", "k"),
    (e: unknown) =>
      e instanceof VerificationFailedError &&
      e.message.includes("'team/k'") &&
      e.message.includes("not found"),
  );
});

const base = { bucketName: "b", endpoint: "minio:9000", interval: "1m" };

test("normalize: consistency is unset (auto) by default; settle needs spec.settle; verify is refused with none or settle", () => {
  assert.equal(normalizeSpec(base).consistency, undefined);
  assert.equal(normalizeSpec({ ...base, consistency: "strict" }).consistency, "strict");
  assert.equal(normalizeSpec({ ...base, consistency: "settle", settle: "30s" }).settleMs, 30_000);
  assert.throws(
    () => normalizeSpec({ ...base, consistency: "settle" }),
    (e: unknown) => e instanceof SpecError && /spec\.settle: is required/.test(e.message),
  );
  assert.throws(() => normalizeSpec({ ...base, settle: "30s" }), /spec\.settle: only applies/);
  const verify = { provider: "ed25519", secretRef: { name: "keys" } };
  assert.deepEqual(normalizeSpec({ ...base, verify }).verify, verify);
  for (const consistency of ["none", "settle"]) {
    assert.throws(
      () =>
        normalizeSpec({ ...base, consistency, settle: consistency === "settle" ? "1s" : undefined, verify }),
      /spec\.verify: needs the index object/,
    );
  }
  assert.throws(
    () => normalizeSpec({ ...base, consistency: "eventual" }),
    /spec\.consistency: must be one of: auto, index, strict, settle, none/,
  );
  assert.throws(
    () => normalizeSpec({ ...base, verify: { provider: "cosign", secretRef: { name: "k" } } }),
    /spec\.verify\.provider: must be: ed25519/,
  );
});

test("DigestMemo: a cached object is hashed once per (key, etag); the saved memo answers the next reconcile, a new etag is hashed again", async (t) => {
  const dir = await tempDir(t, "memo");
  const cache = new ContentCache(dir);
  const body = "kind: ConfigMap\n";
  await cache.put("a.yaml", "e1", Readable.from([Buffer.from(body)]), body.length);
  await cache.put("a.yaml", "e2", Readable.from([Buffer.from("other\n")]), 6);
  await cache.flush();
  const file = cache.metaPath("digests.json");
  const first = await DigestMemo.load(file);
  assert.equal(await first.sha256(cache, "a.yaml", "e1"), createHash("sha256").update(body).digest("hex"));
  assert.equal(first.hashed, 1);
  await first.save();
  const second = await DigestMemo.load(file);
  assert.equal(await second.sha256(cache, "a.yaml", "e1"), createHash("sha256").update(body).digest("hex"));
  assert.equal(second.hashed, 0, "remembered, not hashed again");
  assert.equal(
    await second.sha256(cache, "a.yaml", "e2"),
    createHash("sha256").update("other\n").digest("hex"),
  );
  assert.equal(second.hashed, 1);
});
