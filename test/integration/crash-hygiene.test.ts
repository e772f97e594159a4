// The kill -9 loop: the built CLI is killed again and again while it writes; a restart leaves no temp file behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import type { BucketView } from "../../src/standalone/runner.js";
import { isTempName } from "../../src/storage/temp-files.js";
import { CLI, runArgs, startServerProcess } from "../support/cli.js";
import { stopProcess } from "../support/stop-process.js";
import { sha256File } from "../support/engine-assert.js";
import { tempDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const KILLS = 12;
const BIG_FILES = 6; // × 16 MiB of random bytes: incompressible, so the artifact takes a few seconds to write
const BIG_SIZE = 16 * 1024 * 1024;
const SMALL_FILES = 200; // packed by the content cache

async function filesUnder(root: string): Promise<{ file: string; size: number }[]> {
  const out: { file: string; size: number }[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, size: (await stat(file).catch(() => ({ size: 0 }))).size });
  }
  return out;
}

async function tempFiles(root: string): Promise<{ file: string; size: number }[]> {
  return (await filesUnder(root)).filter((f) => isTempName(path.basename(f.file)));
}

void test(`kill -9 ${KILLS} times while writing the cache or the artifact, then restart: after one successful reconcile no temp file is left under the storage folder and the artifact's sha256 and size equal its status`, async (t) => {
  const work = await tempDir(t, "kill9");
  const config = path.join(work, "config");
  const storage = path.join(work, "storage");
  await mkdir(path.join(config, "data/big"), { recursive: true });
  await mkdir(path.join(config, "data/small"), { recursive: true });
  for (let i = 0; i < BIG_FILES; i++)
    await writeFile(path.join(config, `data/big/${i}.bin`), randomBytes(BIG_SIZE));
  for (let i = 0; i < SMALL_FILES; i++)
    await writeFile(path.join(config, `data/small/${i}.bin`), randomBytes(4096));
  await writeFile(
    path.join(config, "bucket.yaml"),
    "apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: big, namespace: crash}\n" +
      'spec: {interval: 10m, url: "file://data"}\n',
  );
  const args = runArgs(config, storage);

  let kills = 0;
  let killedInStore = 0;
  const leftBehind = new Set<string>(); // temp files earlier kills left (without the sweep they stay)
  for (let i = 0; i < KILLS; i++) {
    // Alternate where the kill lands: mid-download into the cache (cold start only), or mid-artifact in the store.
    const where = i % 3 === 0 ? storage : path.join(storage, "bucket");
    const minBytes = (i % 4) * 12 * 1024 * 1024; // 0, 12, 24, 36 MiB into the temp file
    const child = spawn(process.execPath, [CLI, "run", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    t.after(() => stopProcess(child, { signal: "SIGKILL" }));
    const exited = new AbortController();
    child.once("exit", () => {
      exited.abort(new Error("bucketops exited before it was killed"));
    });
    const seen = await waitFor(
      `a growing temp file under ${where} (kill ${i + 1})`,
      async () => {
        const growing = (await tempFiles(where)).filter((f) => f.size >= minBytes);
        // A write whose previous kill left a temp file behind: wait for a new one, not an old one.
        return growing.find((f) => !leftBehind.has(f.file));
      },
      { timeoutMs: 60_000, intervalMs: 10, signal: exited.signal },
    );
    await stopProcess(child, { signal: "SIGKILL" });
    kills++;
    if (seen.file.includes(`${path.sep}bucket${path.sep}`)) killedInStore++;
    for (const f of await tempFiles(storage)) leftBehind.add(f.file);
  }
  const before = await tempFiles(storage);
  const beforeBytes = before.reduce((n, f) => n + f.size, 0);
  t.diagnostic(
    `${kills} kills (${killedInStore} mid-artifact); temp files before restart: ${before.length} (${beforeBytes} bytes)`,
  );
  assert.ok(before.length > 0, "the kills left temp files behind (else this test could not fail)");
  assert.ok(killedInStore >= KILLS / 2, "most kills landed while the artifact was written");

  const server = await startServerProcess(args);
  t.after(() => server.stop());
  const view = await waitFor(
    "one successful reconcile after the restart",
    async () => {
      const res = await fetch(`${server.url}/api/buckets/crash/big`);
      const v = (await res.json()) as BucketView;
      return v.lastReconcile?.outcome === "stored" || v.lastReconcile?.outcome === "unchanged"
        ? v
        : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 10, context: server.logs },
  );
  // The runner may still be saving its state (a .json.tmp- renamed within milliseconds) when the API answers; a
  // file left by a kill never goes, so a few seconds' grace cannot hide one.
  let after = await tempFiles(storage);
  await waitFor(
    "no temp file under the storage folder",
    async () => (after = await tempFiles(storage)).length === 0,
    {
      timeoutMs: 5_000,
      intervalMs: 50,
    },
  ).catch(() => undefined); // the assertion below names what stayed
  t.diagnostic(
    `after one successful reconcile (${view.lastReconcile?.outcome}): ${after.length} temp files ${after.map((f) => path.relative(storage, f.file)).join(" ")}`,
  );
  assert.deepEqual(after, [], "no temp file left anywhere under the storage folder");
  const artifact = view.status.artifact;
  assert.ok(artifact, "status has an artifact");
  const latest = path.join(storage, "bucket/crash/big/latest.tar.gz");
  for (const file of [path.join(storage, artifact.path), latest]) {
    assert.equal(
      await sha256File(file),
      artifact.digest,
      `${path.basename(file)}: sha256 equals the status digest`,
    );
    assert.equal(
      (await stat(file)).size,
      artifact.size,
      `${path.basename(file)}: size equals the status size`,
    );
  }
  await server.stop();
});
