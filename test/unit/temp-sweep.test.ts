// Crash hygiene: temp files left by interrupted writes are swept at start and by GC, never those of a write in flight.
import assert from "node:assert/strict";
import { mkdir, readdir, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { ArtifactStore } from "../../src/storage/artifact-store.js";
import { tempDir } from "../support/temp.js";

const tempRoot = (t: TestContext): Promise<string> => tempDir(t, "sweep");

const hourAgo = new Date(Date.now() - 3_600_000);

async function leftover(file: string, link = false): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  if (link) await symlink("no-such-artifact.tar.gz", file);
  else await writeFile(file, "partial");
  if (!link) await utimes(file, hourAgo, hourAgo);
  return file;
}

void test("the start sweep removes crash leftovers of store, cache, segment index and state, sparing a put in flight, a younger temp file and every non-temp file", async (t) => {
  const root = await tempRoot(t);
  const store = new ArtifactStore({ root, baseUrl: "http://x", retentionRecords: 2, retentionTtlMs: 60_000 });
  const stale = [
    await leftover(path.join(root, "bucket/ns/a/.tmp-0123456789abcdef")),
    await leftover(path.join(root, "cache/ns/a/.tmp-0123456789abcdef")),
    await leftover(path.join(root, "cache/ns/b/.tmp-fedcba9876543210")), // the engine's segment-index temp
    await leftover(path.join(root, "state/ns/a.json.tmp-0123456789ab")),
  ];
  const keep = [
    await leftover(path.join(root, "bucket/ns/a/" + "a".repeat(64) + ".tar.gz")),
    await leftover(path.join(root, "cache/ns/a/pack-0123456789abcdef.bin")),
    await leftover(path.join(root, "cache/ns/a/.meta-cache-index.json")),
    await leftover(path.join(root, "state/ns/a.json")),
  ];

  let inFlight = "";
  let release = (): void => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let written = (): void => undefined;
  const isWritten = new Promise<void>((r) => (written = r));
  const put = store.put({ namespace: "ns", name: "a" }, "sha256:r", async (tmp) => {
    inFlight = tmp;
    await writeFile(tmp, "being written");
    await utimes(tmp, hourAgo, hourAgo); // even an old-looking temp file of a write in flight is spared
    written();
    await gate;
    return { digest: "sha256:" + "b".repeat(64), size: 13 };
  });
  await isWritten; // the put's temp file exists, old-looking, and the put is still in flight
  const younger = path.join(root, "cache/ns/a/.tmp-young");
  await writeFile(younger, "started after the put"); // could belong to a write this store does not track

  const removed = await store.sweepTemp();
  assert.deepEqual(removed.sort(), [...stale].sort());
  for (const file of [...keep, inFlight, younger])
    assert.ok((await readdir(path.dirname(file))).includes(path.basename(file)), `${file} is kept`);

  release();
  const artifact = await put;
  assert.equal(artifact.size, 13, "the write in flight completed");
});

void test("GC removes a stale .tmp-* and a dangling .tmp-link-* from the Bucket's folder", async (t) => {
  const root = await tempRoot(t);
  const store = new ArtifactStore({ root, baseUrl: "http://x", retentionRecords: 2, retentionTtlMs: 60_000 });
  const dir = path.join(root, "bucket/ns/a");
  await leftover(path.join(dir, ".tmp-0123456789abcdef"));
  await leftover(path.join(dir, ".tmp-link-0123456789abcdef"), true);
  const artifact = await store.put({ namespace: "ns", name: "a" }, "sha256:r", async (tmp) => {
    await writeFile(tmp, "artifact");
    return { digest: "sha256:" + "c".repeat(64), size: 8 };
  });
  await store.gc({ namespace: "ns", name: "a" }, artifact);
  assert.deepEqual((await readdir(dir)).sort(), ["c".repeat(64) + ".tar.gz", "latest.tar.gz"]);
});
