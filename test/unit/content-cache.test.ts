import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { ContentCache } from "../../src/source/content-cache.js";
import { tempDir } from "../support/temp.js";

const body = (text: string): Readable => Readable.from([Buffer.from(text)]);

void test("small objects share a pack, big ones get a file; both read back, and survive a new instance", async (t) => {
  const dir = await tempDir(t);
  const cache = new ContentCache(dir, { packLimit: 100 });
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => cache.put(`k${i}`, "e1", body(`small ${i}`), `small ${i}`.length)),
  );
  const big = "x".repeat(500);
  assert.equal(await cache.put("big", "e1", body(big), big.length), 500);
  await cache.flush();
  const files = await readdir(dir);
  assert.equal(files.filter((f) => f.startsWith("pack-")).length, 1, files.join(" "));
  assert.equal(files.length, 3, "one pack, one big file, one index");

  const again = new ContentCache(dir, { packLimit: 100 });
  for (let i = 0; i < 20; i++) assert.equal((await again.read(`k${i}`, "e1")).toString(), `small ${i}`);
  assert.equal((await again.read("big", "e1")).toString(), big);
  assert.equal(await again.has("k1", "e2"), false, "another etag is another entry");
  const loc = again.locate("k3", "e1");
  assert.equal(loc.size, "small 3".length);
});

void test("a body that is not the listed size is refused and recorded nowhere", async (t) => {
  const dir = await tempDir(t);
  const cache = new ContentCache(dir);
  await assert.rejects(cache.put("short", "e", body("abc"), 10), /3 bytes, the listing said 10/);
  await assert.rejects(cache.put("long", "e", body("abcdef"), 2), /more than 2/);
  assert.equal(await cache.has("short", "e"), false);
  assert.equal(await cache.has("long", "e"), false);
  await cache.flush();
});

void test("entries are durable only after flush: a crash before it loses them, never records them half", async (t) => {
  const dir = await tempDir(t);
  const cache = new ContentCache(dir);
  await cache.put("a", "1", body("aaa"), 3);
  // No flush: a new instance (a restarted process) does not know the entry, so it is fetched again.
  assert.equal(await new ContentCache(dir).has("a", "1"), false);
  await cache.flush();
  assert.equal(await new ContentCache(dir).has("a", "1"), true);
});

void test("prune drops unkept entries, strays and dead packs, and compacts packs that are mostly garbage", async (t) => {
  const dir = await tempDir(t);
  const first = new ContentCache(dir);
  for (let i = 0; i < 10; i++) await first.put(`k${i}`, "v1", body(`value ${i}`), `value ${i}`.length);
  await first.flush();
  await writeFile(path.join(dir, ".tmp-leftover"), "partial");

  // Next reconcile: k0..k7 changed (new etags), k8, k9 kept: the first pack is 20 % live and gets compacted.
  const second = new ContentCache(dir);
  for (let i = 0; i < 8; i++) await second.put(`k${i}`, "v2", body(`new ${i}`), `new ${i}`.length);
  const keep = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, etag: i < 8 ? "v2" : "v1" }));
  const removed = await second.prune(keep);
  assert.ok(removed >= 8 + 1 + 1, `removed ${removed}: 8 old entries, the temp file, the compacted pack`);
  const files = await readdir(dir);
  assert.equal(files.filter((f) => f.startsWith("pack-")).length, 1, files.join(" "));
  assert.ok(!files.includes(".tmp-leftover"));

  const third = new ContentCache(dir);
  for (const { key, etag } of keep) {
    const expected = etag === "v2" ? `new ${key.slice(1)}` : `value ${key.slice(1)}`;
    assert.equal((await third.read(key, etag)).toString(), expected);
  }
  assert.equal(await third.has("k0", "v1"), false);
});

void test("many one-object reconciles do not pile up packs", async (t) => {
  const dir = await tempDir(t);
  const keep: { key: string; etag: string }[] = [];
  for (let round = 0; round < 40; round++) {
    const cache = new ContentCache(dir);
    await cache.put(`k${round}`, "v", body(`round ${round}`), `round ${round}`.length);
    keep.push({ key: `k${round}`, etag: "v" });
    await cache.prune(keep);
  }
  const packs = (await readdir(dir)).filter((f) => f.startsWith("pack-"));
  assert.ok(packs.length <= 17, `${packs.length} packs`);
  const cache = new ContentCache(dir);
  for (const { key } of keep) assert.equal((await cache.read(key, "v")).toString(), `round ${key.slice(1)}`);
});

void test("a cache written by an older version (one file per entry, no index) is still used", async (t) => {
  const dir = await tempDir(t);
  await mkdir(dir, { recursive: true });
  const name = createHash("sha256").update("old.yaml").update("\0").update("etag0").digest("hex");
  await writeFile(path.join(dir, name), "kind: Old\n");
  const cache = new ContentCache(dir);
  assert.equal(await cache.has("old.yaml", "etag0"), true);
  assert.equal((await cache.read("old.yaml", "etag0")).toString(), "kind: Old\n");
});
