// Symlinks in file:// buckets. The rule (src/providers/file.ts): a symlink is never followed, wherever it points;
// only regular files under the folder are objects, so nothing outside the folder can reach an artifact.
import assert from "node:assert/strict";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { createFileProvider } from "../../src/providers/file.js";
import { engineEnv } from "../support/engine-env.js";
import { tempDir } from "../support/temp.js";

const OUTSIDE = "outside-the-bucket-5b1d";

async function bucketWithSymlinks(dir: string): Promise<string> {
  const outside = path.join(dir, "outside");
  const bucket = path.join(dir, "bucket");
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, "secret.yaml"), `${OUTSIDE}\n`);
  await mkdir(path.join(bucket, "app"), { recursive: true });
  await writeFile(path.join(bucket, "app/a.yaml"), "a: 1\n");
  await symlink("../outside/secret.yaml", path.join(bucket, "leak.yaml")); // a file outside, relative
  await symlink(path.join(outside, "secret.yaml"), path.join(bucket, "app/abs-leak.yaml")); // absolute
  await symlink("../outside", path.join(bucket, "leakdir")); // a folder outside
  await symlink("app/a.yaml", path.join(bucket, "alias.yaml")); // a file inside
  await symlink("app", path.join(bucket, "app-alias")); // a folder inside
  return bucket;
}

test("file:// lists only regular files: symlinks to files or folders, inside or outside, are skipped", async (t) => {
  const bucket = await bucketWithSymlinks(await tempDir(t, "symlinks"));
  const provider = createFileProvider(bucket);
  const keys: string[] = [];
  for await (const info of provider.list("")) keys.push(info.key);
  assert.deepEqual(keys, ["app/a.yaml"]);
});

test("file:// get refuses a symlink and a key reaching through a symlinked folder", async (t) => {
  const bucket = await bucketWithSymlinks(await tempDir(t, "symlinks"));
  const provider = createFileProvider(bucket);
  assert.equal((await readFile(path.join(bucket, "leakdir/secret.yaml"), "utf8")).trim(), OUTSIDE);
  for (const key of [
    "leak.yaml",
    "app/abs-leak.yaml",
    "alias.yaml",
    "leakdir/secret.yaml",
    "app-alias/a.yaml",
  ]) {
    await assert.rejects(provider.get(key), { name: "ProviderError" }, `${key} is refused`);
  }
  const stream = await provider.get("app/a.yaml");
  let body = "";
  for await (const chunk of stream) body += String(chunk);
  assert.equal(body, "a: 1\n", "a regular file is served");
});

test("a file:// Bucket with symlinks pointing outside publishes only its regular files", async (t) => {
  const env = await engineEnv(t);
  const bucket = await bucketWithSymlinks(env.dir);
  const result = await env.sync({ url: `file://${bucket}`, interval: "5m" });
  assert.equal(result.outcome, "stored", result.error?.message);
  assert.equal(result.stats.objects, 1);
  const artifact = result.status.artifact;
  assert.ok(artifact);
  const tar = gunzipSync(await readFile(env.store.absolute(artifact.path)));
  assert.ok(tar.includes("app/a.yaml"), "the regular file is in the artifact");
  assert.equal(tar.includes(OUTSIDE), false, "no content from outside the folder");
  for (const name of ["leak.yaml", "abs-leak.yaml", "leakdir", "alias.yaml", "app-alias"])
    assert.equal(tar.includes(name), false, `${name} is not in the artifact`);
});
