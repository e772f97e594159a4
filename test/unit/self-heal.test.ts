// Self-healing: a content cache entry found damaged while the artifact is built is evicted, so the next reconcile
// downloads it again and succeeds, with no manual cache wipe. On a file:// bucket, through reconcile().
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, rm, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { findCondition } from "../../src/api/status.js";
import { createFileProvider } from "../../src/providers/file.js";
import type { ObjectInfo } from "../../src/providers/types.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { artifactBuffers } from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";

const BIG = 2_097_152;

async function listed(root: string): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  for await (const info of createFileProvider(root).list("")) out.set(info.key, info);
  return out;
}

/** A bucket folder with a big object and a small one; returns its path and contents. */
async function bucketFolder(env: EngineEnv): Promise<{ root: string; files: Record<string, Buffer> }> {
  const root = path.join(env.dir, "bucket");
  await mkdir(root, { recursive: true });
  const files = { "big.bin": randomBytes(BIG), "small.yaml": Buffer.from("a: 1\n") };
  for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(root, name), bytes);
  return { root, files };
}

void test("a cached big object shorter than its index fails the archive once, is evicted, and the next reconcile heals", async (t) => {
  const env = await engineEnv(t);
  const { root, files } = await bucketFolder(env);
  const spec = { url: `file://${root}`, interval: "5m" };
  // An entry as an older bucketops recorded it from a body cut short: 1,500,000 bytes for a 2,097,152-byte object.
  const big = (await listed(root)).get("big.bin") as ObjectInfo;
  const cache = new ContentCache(path.join(env.dir, "cache", "default", "bucket"));
  await cache.put("big.bin", big.etag, Readable.from([(files["big.bin"] as Buffer).subarray(0, 1_500_000)]));
  await cache.flush();

  const first = await env.sync(spec);
  assert.equal(first.outcome, "failed");
  assert.equal(first.error?.reason, "ArchiveOperationFailed");
  assert.match(first.error?.message ?? "", /"big\.bin": expected 2097152 bytes .* found 1500000/);
  assert.equal(first.stats.getRequests, 1, "only small.yaml was downloaded: big.bin was (wrongly) cached");

  const second = await env.sync(spec, first.status);
  assert.equal(second.outcome, "stored", second.error?.message);
  assert.equal(second.stats.downloaded, 1, "big.bin was downloaded again");
  const published = await artifactBuffers(
    env,
    second.status.artifact ?? assert.fail("status.artifact is set"),
  );
  assert.deepEqual([...published.keys()].sort(), ["big.bin", "small.yaml"]);
  for (const [name, bytes] of Object.entries(files)) assert.ok(published.get(name)?.equals(bytes), name);
});

void test("a cached big object truncated on disk after a good reconcile fails the next build once, then heals", async (t) => {
  const env = await engineEnv(t);
  const { root, files } = await bucketFolder(env);
  const spec = { url: `file://${root}`, interval: "5m" };
  const good = await env.sync(spec);
  assert.equal(good.outcome, "stored", good.error?.message);
  const big = (await listed(root)).get("big.bin") as ObjectInfo;
  const cache = new ContentCache(path.join(env.dir, "cache", "default", "bucket"));
  await cache.open();
  await truncate(cache.locate("big.bin", big.etag).file, 1000); // disk damage
  // Without the previous artifact (removed), the next reconcile builds one, reading every file from the cache.
  await rm(env.store.absolute(good.status.artifact?.path ?? ""));

  const broken = await env.sync(spec, good.status);
  assert.equal(broken.outcome, "failed");
  assert.equal(broken.error?.reason, "ArchiveOperationFailed");
  assert.equal(findCondition(broken.status, "Ready")?.status, "False");

  const healed = await env.sync(spec, broken.status);
  assert.equal(healed.outcome, "stored", healed.error?.message);
  const published = await artifactBuffers(
    env,
    healed.status.artifact ?? assert.fail("status.artifact is set"),
  );
  for (const [name, bytes] of Object.entries(files)) assert.ok(published.get(name)?.equals(bytes), name);
});

void test("a damaged cached .sourceignore (its file gone) is evicted and downloaded again in the same reconcile", async (t) => {
  const env = await engineEnv(t);
  const { root, files } = await bucketFolder(env);
  await writeFile(path.join(root, ".sourceignore"), "*.bin\n");
  const spec = { url: `file://${root}`, interval: "5m" };
  const good = await env.sync(spec);
  assert.equal(good.outcome, "stored", good.error?.message);
  const ignore = (await listed(root)).get(".sourceignore") as ObjectInfo;
  const cache = new ContentCache(path.join(env.dir, "cache", "default", "bucket"));
  await cache.open();
  await rm(cache.locate(".sourceignore", ignore.etag).file); // the pack holding it: disk damage
  await rm(env.store.absolute(good.status.artifact?.path ?? "")); // so the next reconcile builds again

  const healed = await env.sync(spec, good.status);
  assert.equal(healed.outcome, "stored", healed.error?.message);
  const published = await artifactBuffers(
    env,
    healed.status.artifact ?? assert.fail("status.artifact is set"),
  );
  assert.deepEqual(
    [...published.keys()].sort(),
    [".sourceignore", "small.yaml"],
    "the .sourceignore was read again and applied: *.bin left out",
  );
  assert.equal(published.get(".sourceignore")?.toString(), "*.bin\n");
  assert.ok(published.get("small.yaml")?.equals(files["small.yaml"] as Buffer));
});

void test("two cached big objects truncated on disk: one failed build evicts both, and the next reconcile heals both", async (t) => {
  const env = await engineEnv(t);
  const { root, files } = await bucketFolder(env);
  const second = randomBytes(BIG);
  await writeFile(path.join(root, "big2.bin"), second);
  const all = { ...files, "big2.bin": second };
  const spec = { url: `file://${root}`, interval: "5m" };
  const good = await env.sync(spec);
  assert.equal(good.outcome, "stored", good.error?.message);
  const infos = await listed(root);
  const cache = new ContentCache(path.join(env.dir, "cache", "default", "bucket"));
  await cache.open();
  for (const key of ["big.bin", "big2.bin"]) {
    await truncate(cache.locate(key, (infos.get(key) as ObjectInfo).etag).file, 1000);
  }
  await rm(env.store.absolute(good.status.artifact?.path ?? ""));

  const broken = await env.sync(spec, good.status);
  assert.equal(broken.outcome, "failed");
  assert.equal(broken.error?.reason, "ArchiveOperationFailed");

  const healed = await env.sync(spec, broken.status);
  assert.equal(healed.outcome, "stored", healed.error?.message);
  assert.equal(healed.stats.downloaded, 2, "both damaged objects were downloaded again, in one reconcile");
  const published = await artifactBuffers(
    env,
    healed.status.artifact ?? assert.fail("status.artifact is set"),
  );
  for (const [name, bytes] of Object.entries(all)) assert.ok(published.get(name)?.equals(bytes), name);
});
