// The content cache never records a body of another size than listed, and forgets entries found damaged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { ProviderError } from "../../src/providers/types.js";
import { BodyCheck } from "../../src/source/body-check.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { tempDir } from "../support/temp.js";

void test("a big object (a file of its own) cut short is refused: no file left, not in the index after flush", async (t) => {
  const dir = await tempDir(t, "cache");
  const cache = new ContentCache(dir); // objects over 1 MiB get a file of their own
  const listed = 2_097_152;
  const cut = Readable.from([Buffer.alloc(1_000_000), Buffer.alloc(500_000)]); // ends cleanly at 1,500,000
  await assert.rejects(cache.put("big.bin", "e1", cut, listed), /1500000 bytes, the listing said 2097152/);
  assert.equal(await cache.has("big.bin", "e1"), false);
  await cache.flush();
  assert.equal(await new ContentCache(dir).has("big.bin", "e1"), false, "a new instance does not have it");
  assert.deepEqual(
    (await readdir(dir)).filter((f) => !f.startsWith(".meta-")),
    [],
    "no temp or object file left",
  );
});

void test("a big object longer than listed is refused too", async (t) => {
  const cache = new ContentCache(await tempDir(t, "cache"), { packLimit: 10 });
  await assert.rejects(
    cache.put("k", "e", Readable.from([Buffer.alloc(30)]), 20),
    /30 bytes, the listing said 20/,
  );
  assert.equal(await cache.has("k", "e"), false);
});

void test("evict forgets an own-file entry and a pack entry; the file is removed; a new instance after flush has neither", async (t) => {
  const dir = await tempDir(t, "cache");
  const cache = new ContentCache(dir, { packLimit: 10 });
  await cache.put("small", "e", Readable.from([Buffer.from("abc")]), 3);
  await cache.put("big", "e", Readable.from([Buffer.alloc(50)]), 50);
  await cache.put("other", "e", Readable.from([Buffer.from("xyz")]), 3);
  await cache.flush();
  await cache.open();
  const bigFile = cache.locate("big", "e").file;

  await cache.evict("small", "e");
  await cache.evict("big", "e");
  await cache.evict("never-cached", "e"); // a no-op
  assert.equal(await cache.has("small", "e"), false);
  assert.equal(await cache.has("big", "e"), false);
  assert.ok(!(await readdir(dir)).includes(path.basename(bigFile)), "the big object's file is removed");
  await cache.flush();

  const again = new ContentCache(dir, { packLimit: 10 });
  assert.equal(await again.has("small", "e"), false);
  assert.equal(await again.has("big", "e"), false);
  assert.equal((await again.read("other", "e")).toString(), "xyz", "other entries are kept");
});

void test("put with a BodyCheck: one flipped byte is refused in a pack and in a file of its own, recorded nowhere", async (t) => {
  const dir = await tempDir(t, "cache");
  const cache = new ContentCache(dir, { packLimit: 100 });
  for (const [key, length] of [["packed", 50] as const, ["own-file", 500] as const]) {
    const good = Buffer.alloc(length, 7);
    const bad = Buffer.from(good);
    bad[length - 1] = 8;
    const md5 = createHash("md5").update(good).digest("hex");
    const body = Readable.from([bad]);
    await assert.rejects(
      cache.put(key, "e", body, length, new BodyCheck(body, { key, size: length, md5 })),
      (error: unknown) =>
        error instanceof ProviderError && error.kind === "Transient" && /MD5/.test(error.message),
      key,
    );
    assert.equal(await cache.has(key, "e"), false, key);
    const ok = Readable.from([good]);
    assert.equal(
      await cache.put(key, "e", ok, length, new BodyCheck(ok, { key, size: length, md5 })),
      length,
    );
  }
  await cache.flush();
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.startsWith(".tmp-")),
    [],
    "no temp file left by the refused own-file body",
  );
});
