import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmod, lstat, mkdir, readFile, readlink, readdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import tar from "tar-stream";
import { writeTarGz, type ArchiveEntry } from "../../src/artifact/tarball.js";
import type { Artifact } from "../../src/api/status.js";
import { ArtifactStore, LATEST } from "../../src/storage/artifact-store.js";
import { tempDir } from "../support/temp.js";

/** Writes files (name → content) under `dir` and returns archive entries for them, in the given order. */
async function makeFiles(dir: string, files: Record<string, string>): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, ...name.split("/"));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    entries.push({ name, file, size: Buffer.byteLength(content) });
  }
  return entries;
}

interface ReadEntry {
  header: tar.Header;
  content: string;
}

async function readTarGz(file: string): Promise<ReadEntry[]> {
  const tarBytes = gunzipSync(await readFile(file));
  const extract = tar.extract();
  Readable.from([tarBytes]).pipe(extract);
  const out: ReadEntry[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    out.push({ header: entry.header, content: Buffer.concat(chunks).toString("utf8") });
  }
  return out;
}

const FILES = {
  "z.yaml": "kind: Z\n",
  "apps/b.yaml": "kind: B\n",
  "a-b.yaml": "kind: AB\n",
  "apps/a/deep.yaml": "kind: Deep\n",
  "ü.yaml": "kind: U\n",
};

void test("writeTarGz is deterministic across mtimes, modes and input order", async (t) => {
  const dir = await tempDir(t);
  const entries = await makeFiles(path.join(dir, "src"), FILES);

  const first = await writeTarGz(entries, path.join(dir, "one.tar.gz"));

  // Change everything the archive must not depend on.
  for (const [i, e] of entries.entries()) {
    await chmod(e.file, i % 2 === 0 ? 0o600 : 0o755);
    await utimes(e.file, new Date(2001, 1, 1 + i), new Date(2010, 5, 5 + i));
  }
  await chmod(path.join(dir, "src", "apps"), 0o700);
  const second = await writeTarGz([...entries].reverse(), path.join(dir, "two.tar.gz"));

  assert.deepEqual(second, first);
  const one = await readFile(path.join(dir, "one.tar.gz"));
  const two = await readFile(path.join(dir, "two.tar.gz"));
  assert.ok(one.equals(two), "identical bytes");
});

void test("writeTarGz reports the sha256 digest and size of the file it wrote", async (t) => {
  const dir = await tempDir(t);
  const entries = await makeFiles(path.join(dir, "src"), FILES);
  const out = path.join(dir, "a.tar.gz");
  const result = await writeTarGz(entries, out);
  const bytes = await readFile(out);
  assert.equal(result.digest, `sha256:${createHash("sha256").update(bytes).digest("hex")}`);
  assert.equal(result.size, bytes.length);
});

void test("writeTarGz entries are sorted by UTF-8 bytes, with parent dirs first, and carry no host metadata", async (t) => {
  const dir = await tempDir(t);
  const entries = await makeFiles(path.join(dir, "src"), FILES);
  for (const e of entries) await chmod(e.file, 0o600);
  const out = path.join(dir, "a.tar.gz");
  await writeTarGz(entries, out);
  const read = await readTarGz(out);

  assert.deepEqual(
    read.map((e) => [e.header.name, e.header.type]),
    [
      ["a-b.yaml", "file"],
      ["apps/", "directory"],
      ["apps/a/", "directory"],
      ["apps/a/deep.yaml", "file"],
      ["apps/b.yaml", "file"],
      ["z.yaml", "file"],
      ["ü.yaml", "file"],
    ],
  );
  for (const { header } of read) {
    assert.equal(header.mtime?.getTime(), 0, `${header.name} mtime`);
    assert.equal(header.uid, 0, `${header.name} uid`);
    assert.equal(header.gid, 0, `${header.name} gid`);
    assert.equal(header.uname ?? "", "", `${header.name} uname`);
    assert.equal(header.gname ?? "", "", `${header.name} gname`);
    assert.equal(header.mode, header.type === "directory" ? 0o755 : 0o644, `${header.name} mode`);
  }
  const contents = Object.fromEntries(
    read.filter((e) => e.header.type === "file").map((e) => [e.header.name, e.content]),
  );
  assert.deepEqual(contents, FILES);
});

void test("writeTarGz of no entries is a valid, empty archive", async (t) => {
  const dir = await tempDir(t);
  const out = path.join(dir, "empty.tar.gz");
  const result = await writeTarGz([], out);
  assert.deepEqual(await readTarGz(out), []);
  assert.equal(
    result.digest,
    `sha256:${createHash("sha256")
      .update(await readFile(out))
      .digest("hex")}`,
  );
});

void test("writeTarGz fails when a file's size is not what the index said", async (t) => {
  const dir = await tempDir(t);
  const [entry] = await makeFiles(path.join(dir, "src"), { "a.yaml": "12345" });
  assert.ok(entry);
  await assert.rejects(writeTarGz([{ ...entry, size: 3 }], path.join(dir, "bad.tar.gz")));
});

function storeFor(root: string, clock: { now: number }, retentionRecords = 2): ArtifactStore {
  return new ArtifactStore({
    root,
    baseUrl: "http://bucketops.flux-system.svc/",
    retentionRecords,
    retentionTtlMs: 365 * 24 * 3_600_000,
    now: () => new Date(clock.now),
  });
}

const REF = { namespace: "flux-system", name: "my-bucket" };

async function putFiles(store: ArtifactStore, dir: string, files: Record<string, string>, revision: string) {
  const entries = await makeFiles(path.join(dir, `src-${revision}`), files);
  return store.put(REF, revision, (tmp) => writeTarGz(entries, tmp));
}

void test("ArtifactStore.put writes <hex>.tar.gz and points latest.tar.gz at it", async (t) => {
  const dir = await tempDir(t);
  const root = path.join(dir, "storage");
  const clock = { now: Date.parse("2024-05-01T10:00:00Z") };
  const store = storeFor(root, clock);
  const artifact = await putFiles(store, dir, { "a.yaml": "a: 1\n" }, "sha256:rev1");

  const hex = artifact.digest.replace(/^sha256:/, "");
  assert.match(artifact.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(artifact.path, `bucket/flux-system/my-bucket/${hex}.tar.gz`);
  assert.equal(artifact.url, `http://bucketops.flux-system.svc/bucket/flux-system/my-bucket/${hex}.tar.gz`);
  assert.equal(artifact.revision, "sha256:rev1");
  assert.equal(artifact.lastUpdateTime, "2024-05-01T10:00:00.000Z");

  const file = path.join(root, artifact.path);
  const bytes = await readFile(file);
  assert.equal(artifact.size, bytes.length);
  assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, artifact.digest);
  assert.equal((await lstat(file)).mtimeMs, clock.now, "mtime is the store's clock (GC orders by it)");

  const latest = path.join(root, "bucket/flux-system/my-bucket", LATEST);
  assert.ok((await lstat(latest)).isSymbolicLink());
  assert.equal(await readlink(latest), `${hex}.tar.gz`);
  assert.ok((await readFile(latest)).equals(bytes));
  assert.equal(
    store.latestUrl(REF),
    "http://bucketops.flux-system.svc/bucket/flux-system/my-bucket/latest.tar.gz",
  );
  assert.ok(await store.exists(artifact));

  // No temp files are left behind.
  assert.deepEqual((await readdir(path.dirname(file))).sort(), [`${hex}.tar.gz`, LATEST].sort());

  // A new artifact moves latest.tar.gz.
  clock.now += 60_000;
  const next = await putFiles(store, dir, { "a.yaml": "a: 2\n" }, "sha256:rev2");
  assert.notEqual(next.digest, artifact.digest);
  assert.equal(await readlink(latest), path.posix.basename(next.path));
});

void test("ArtifactStore.put leaves the previous artifact and link alone when writing fails", async (t) => {
  const dir = await tempDir(t);
  const root = path.join(dir, "storage");
  const store = storeFor(root, { now: Date.parse("2024-05-01T10:00:00Z") });
  const good = await putFiles(store, dir, { "a.yaml": "a: 1\n" }, "sha256:rev1");
  await assert.rejects(
    store.put(REF, "sha256:rev2", async (tmp) => {
      await writeFile(tmp, "partial");
      throw new Error("disk full");
    }),
    /disk full/,
  );
  const bucketDir = path.join(root, "bucket/flux-system/my-bucket");
  assert.equal(await readlink(path.join(bucketDir, LATEST)), path.posix.basename(good.path));
  assert.deepEqual((await readdir(bucketDir)).sort(), [path.posix.basename(good.path), LATEST].sort());
});

void test("ArtifactStore.gc keeps retentionRecords artifacts and never the current one", async (t) => {
  const dir = await tempDir(t);
  const root = path.join(dir, "storage");
  const clock = { now: Date.parse("2024-05-01T10:00:00Z") };
  const store = storeFor(root, clock, 2);
  const artifacts: Artifact[] = [];
  for (let i = 0; i < 4; i++) {
    artifacts.push(await putFiles(store, dir, { "a.yaml": `a: ${i}\n` }, `sha256:rev${i}`));
    clock.now += 60_000;
  }
  const [a0, , a2, a3] = artifacts;
  assert.ok(a0 && a2 && a3);
  const name = (i: number): string => path.posix.basename(artifacts[i]?.path ?? "");
  const bucketDir = path.join(root, "bucket/flux-system/my-bucket");

  // Current is the newest: keep it and the next newest.
  const deleted = await store.gc(REF, a3);
  assert.deepEqual(deleted.sort(), [name(0), name(1)].sort());
  assert.deepEqual((await readdir(bucketDir)).sort(), [name(2), name(3), LATEST].sort());
  assert.equal(await store.exists(a0), false);

  // Even when the current artifact is the oldest one (e.g. a rollback), it is kept.
  const keepOne = storeFor(root, clock, 1);
  assert.deepEqual(await keepOne.gc(REF, a2), [name(3)]);
  assert.deepEqual((await readdir(bucketDir)).sort(), [name(2), LATEST].sort());
  assert.ok(await keepOne.exists(a2));
});

void test("ArtifactStore.gc deletes non-current artifacts older than the TTL", async (t) => {
  const dir = await tempDir(t);
  const root = path.join(dir, "storage");
  const clock = { now: Date.parse("2024-05-01T10:00:00Z") };
  const store = new ArtifactStore({
    root,
    baseUrl: "http://x",
    retentionRecords: 10,
    retentionTtlMs: 3_600_000,
    now: () => new Date(clock.now),
  });
  const old = await putFiles(store, dir, { "a.yaml": "old\n" }, "r1");
  clock.now += 2 * 3_600_000;
  const recent = await putFiles(store, dir, { "a.yaml": "recent\n" }, "r2");
  clock.now += 60_000;
  const current = await putFiles(store, dir, { "a.yaml": "current\n" }, "r3");
  assert.deepEqual(await store.gc(REF, current), [path.posix.basename(old.path)]);
  assert.ok(await store.exists(recent));
  assert.ok(await store.exists(current));

  // The current artifact survives even past the TTL.
  clock.now += 10 * 3_600_000;
  assert.deepEqual(await store.gc(REF, current), [path.posix.basename(recent.path)]);
  assert.ok(await store.exists(current));
});

void test("ArtifactStore refuses paths outside its root", () => {
  const store = new ArtifactStore({
    root: "/tmp/store",
    baseUrl: "http://x",
    retentionRecords: 2,
    retentionTtlMs: 1,
  });
  assert.throws(() => store.absolute("../etc/passwd"), /outside the storage root/);
  assert.throws(() => store.absolute("/etc/passwd"), /outside the storage root/);
  assert.equal(store.absolute("bucket/a/b"), "/tmp/store/bucket/a/b");
});
