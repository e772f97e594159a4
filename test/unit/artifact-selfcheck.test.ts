// The store checks itself: a damaged artifact is rebuilt before status says Ready, and only a changed file is hashed.
import assert from "node:assert/strict";
import {
  appendFile,
  copyFile,
  mkdir,
  open,
  readlink,
  rm,
  rename,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { pino } from "pino";
import { initialStatus, type BucketStatus } from "../../src/api/status.js";
import { ARTIFACT_DAMAGED, reconcile, type ReconcileResult } from "../../src/engine/reconcile.js";
import { sha256File } from "../../src/storage/artifact-check.js";
import { ArtifactStore, LATEST } from "../../src/storage/artifact-store.js";
import { sha256File as fileDigest } from "../support/engine-assert.js";
import { tempDir } from "../support/temp.js";

interface Env {
  /** The file:// Bucket's folder. */
  data: string;
  storageRoot: string;
  /** Reconciles the file:// Bucket default/local with a store of its own (a new one = a new process). */
  sync(status: BucketStatus, store?: ArtifactStore): Promise<ReconcileResult>;
  /** A store over the same root whose hashes of stored artifacts are counted in `hashes.count`. */
  newStore(): { store: ArtifactStore; hashes: { count: number } };
}

async function env(t: TestContext, data?: string): Promise<Env> {
  const dir = await tempDir(t, "selfcheck");
  if (!data) {
    await mkdir(path.join(dir, "data/app"), { recursive: true });
    await writeFile(path.join(dir, "data/app/a.yaml"), "a: 1\n");
    await writeFile(path.join(dir, "data/app/b.yaml"), "b: 2\n".repeat(1000));
  }
  const folder = data ?? path.join(dir, "data");
  const storageRoot = path.join(dir, "storage");
  const newStore = (): { store: ArtifactStore; hashes: { count: number } } => {
    const hashes = { count: 0 };
    const store = new ArtifactStore({
      root: storageRoot,
      baseUrl: "http://127.0.0.1:1",
      retentionRecords: 2,
      retentionTtlMs: 60_000,
      hashFile: (file) => {
        hashes.count++;
        return sha256File(file);
      },
    });
    return { store, hashes };
  };
  const fallback = newStore().store;
  return {
    data: folder,
    storageRoot,
    newStore,
    sync: (status, store = fallback) =>
      reconcile(
        {
          ref: { namespace: "default", name: "local" },
          generation: 1,
          spec: { url: `file://${folder}`, interval: "10m" },
          status,
          baseDir: dir,
        },
        {
          store,
          readSecret: () => Promise.resolve(undefined),
          cacheRoot: path.join(storageRoot, "cache"),
          logger: pino({ level: "silent" }),
          concurrency: 4,
        },
      ),
  };
}

function ready(result: ReconcileResult): string | undefined {
  return result.status.conditions.find((c) => c.type === "Ready")?.status;
}

void test("one byte appended to the stored tar.gz: the next reconcile warns, rebuilds it with the same digest, and both served files match status", async (t) => {
  const e = await env(t);
  const first = await e.sync(initialStatus());
  assert.equal(first.outcome, "stored", first.error?.message);
  const artifact = first.status.artifact;
  assert.ok(artifact);
  await appendFile(path.join(e.storageRoot, artifact.path), "x");

  const second = await e.sync(first.status);
  assert.equal(second.outcome, "stored", "the damaged artifact counts as absent and is rebuilt");
  assert.equal(ready(second), "True");
  assert.ok(
    second.events.some(
      (ev) => ev.type === "Warning" && ev.reason === ARTIFACT_DAMAGED && /damaged/.test(ev.message),
    ),
    JSON.stringify(second.events),
  );
  const rebuilt = second.status.artifact;
  assert.ok(rebuilt);
  assert.equal(rebuilt.digest, artifact.digest, "same content, same digest");
  const dir = path.join(e.storageRoot, "bucket/default/local");
  for (const file of [path.join(e.storageRoot, rebuilt.path), path.join(dir, LATEST)]) {
    assert.equal(
      await fileDigest(file),
      rebuilt.digest,
      `${path.basename(file)}: sha256 equals status digest`,
    );
    assert.equal((await stat(file)).size, rebuilt.size, `${path.basename(file)}: size equals status size`);
  }
});

void test("one flipped byte (same size, mtime put back) is found by the re-hash its new ctime triggers, and rebuilt", async (t) => {
  const e = await env(t);
  const first = await e.sync(initialStatus());
  const artifact = first.status.artifact;
  assert.ok(artifact);
  const file = path.join(e.storageRoot, artifact.path);
  const before = await stat(file);
  const fh = await open(file, "r+");
  const byte = Buffer.alloc(1);
  await fh.read(byte, 0, 1, 100);
  await fh.write(Buffer.from([byte.readUInt8(0) ^ 0xff]), 0, 1, 100);
  await fh.close();
  await utimes(file, before.atime, before.mtime);

  const second = await e.sync(first.status);
  assert.equal(second.outcome, "stored");
  assert.ok(second.events.some((ev) => ev.reason === ARTIFACT_DAMAGED));
  assert.equal(await fileDigest(file), artifact.digest);
});

void test("hashes: none right after a put; one at the first check in a new process; none for an untouched file; one after a new mtime; one after a new inode", async (t) => {
  const e = await env(t);
  const writer = e.newStore();
  const first = await e.sync(initialStatus(), writer.store);
  assert.equal(first.outcome, "stored");
  const again = await e.sync(first.status, writer.store);
  assert.equal(again.outcome, "unchanged");
  assert.equal(writer.hashes.count, 0, "the store knows the digest of what it just wrote");

  const { store, hashes } = e.newStore(); // a restarted process
  const status = first.status;
  const file = path.join(e.storageRoot, status.artifact?.path ?? "");
  assert.equal((await e.sync(status, store)).outcome, "unchanged");
  assert.equal(hashes.count, 1, "verified once at the first reconcile of the process");
  for (let i = 0; i < 3; i++) assert.equal((await e.sync(status, store)).outcome, "unchanged");
  assert.equal(hashes.count, 1, "no-change reconciles of an untouched file only stat it");

  const later = new Date(Date.now() + 60_000);
  await utimes(file, later, later);
  assert.equal((await e.sync(status, store)).outcome, "unchanged");
  assert.equal(hashes.count, 2, "a new mtime makes it hash again");
  await e.sync(status, store);
  assert.equal(hashes.count, 2);

  const inodeBefore = (await stat(file)).ino;
  await copyFile(file, `${file}.copy`);
  await rename(`${file}.copy`, file);
  assert.notEqual((await stat(file)).ino, inodeBefore);
  assert.equal((await e.sync(status, store)).outcome, "unchanged");
  assert.equal(hashes.count, 3, "a new inode makes it hash again");
});

void test("a damaged artifact is not a source of segment reuse: after a flipped byte and an edit, the artifact equals a cold build", async (t) => {
  const e = await env(t);
  // Two files of 1.5 MiB each: each a segment of its own, so the unchanged one would be copied from the previous.
  await writeFile(path.join(e.data, "app/a.yaml"), "a: 1\n".repeat(300_000));
  await writeFile(path.join(e.data, "app/b.yaml"), "b: 2\n".repeat(300_000));
  const first = await e.sync(initialStatus());
  assert.equal(first.outcome, "stored");
  const file = path.join(e.storageRoot, first.status.artifact?.path ?? "");
  const fh = await open(file, "r+");
  await fh.write(Buffer.from([0x55, 0xaa]), 0, 2, 200); // inside the first file's segment
  await fh.close();
  await writeFile(path.join(e.data, "app/b.yaml"), "b: 3\n".repeat(300_000));

  const second = await e.sync(first.status);
  assert.equal(second.outcome, "stored");
  const cold = await (await env(t, e.data)).sync(initialStatus());
  assert.equal(second.status.artifact?.digest, cold.status.artifact?.digest, "equal to a build from scratch");
  assert.equal(
    await fileDigest(path.join(e.storageRoot, second.status.artifact?.path ?? "")),
    cold.status.artifact?.digest,
  );
});

void test("a latest.tar.gz deleted or pointing elsewhere is repointed at the intact artifact by a no-change reconcile", async (t) => {
  const e = await env(t);
  const first = await e.sync(initialStatus());
  const artifact = first.status.artifact;
  assert.ok(artifact);
  const latest = path.join(e.storageRoot, "bucket/default/local", LATEST);
  const elsewhere = async (): Promise<void> => {
    await rm(latest);
    await symlink("0".repeat(64) + ".tar.gz", latest);
  };
  for (const damage of [() => rm(latest), elsewhere]) {
    await damage();
    const again = await e.sync(first.status);
    assert.equal(again.outcome, "unchanged");
    assert.equal(await readlink(latest), path.basename(artifact.path));
    assert.equal(await fileDigest(latest), artifact.digest);
  }
});

void test("a damaged artifact whose rebuild fails leaves status without artifact or url (as Flux), ArtifactInStorage not True; the next good reconcile restores both", async (t) => {
  const e = await env(t);
  const first = await e.sync(initialStatus());
  assert.equal(first.outcome, "stored", first.error?.message);
  const artifact = first.status.artifact;
  assert.ok(artifact && first.status.url);
  await appendFile(path.join(e.storageRoot, artifact.path), "x");
  const hidden = `${e.data}-hidden`;
  await rename(e.data, hidden); // the source is gone too: the rebuild fails

  const second = await e.sync(first.status);
  assert.equal(second.outcome, "failed");
  assert.equal(second.status.artifact, undefined, "no artifact in status that storage cannot serve");
  assert.equal(second.status.url, undefined);
  assert.notEqual(
    second.status.conditions.find((c) => c.type === "ArtifactInStorage")?.status,
    "True",
    JSON.stringify(second.status.conditions),
  );

  await rename(hidden, e.data);
  const third = await e.sync(second.status);
  assert.equal(third.outcome, "stored", third.error?.message);
  assert.equal(third.status.artifact?.digest, artifact.digest);
  assert.equal(third.status.url, first.status.url);
});
