// `bucketops push` on fake-gcs-server, Azurite and file://: a push, then the index is readable and names every file.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { parseIndex } from "../../src/publish/index-object.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { runCli } from "../support/cli.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { tempDir } from "../support/temp.js";

let gcs: FakeGcsServer;
let azurite: AzuriteServer;
before(async () => {
  [gcs, azurite] = await Promise.all([startFakeGcs(), startAzurite()]);
});
after(async () => {
  await Promise.all([gcs.stop(), azurite.stop()]);
});

const FILES: Record<string, string> = {
  "apps/a.yaml": "a: 1\n",
  "apps/deep/b.yaml": "b: 2\n",
  "README.md": "# hi\n",
};

async function folder(t: TestContext): Promise<{ dir: string; work: string }> {
  const work = await tempDir(t, "push-clouds");
  const dir = path.join(work, "site");
  for (const [rel, content] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return { dir, work };
}

function assertIndexNamesEveryFile(bytes: Buffer): void {
  const index = parseIndex(bytes);
  assert.deepEqual(Object.keys(index.files).sort(), Object.keys(FILES).sort());
  for (const [key, content] of Object.entries(FILES))
    assert.equal(index.files[key]?.sha256, createHash("sha256").update(content).digest("hex"), key);
}

test("push to fake-gcs-server (Bucket YAML, provider gcp): the objects are uploaded and the index names every file; a second push uploads nothing; one changed file uploads it and rewrites the index over the one read (If-Match)", async (t) => {
  const { dir, work } = await folder(t);
  await gcs.createBucket("push-gcs");
  const yaml = path.join(work, "bucket.yaml");
  await writeFile(
    yaml,
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: { name: site, namespace: default }
spec: { provider: gcp, bucketName: push-gcs, endpoint: "${gcs.hostPort}", insecure: true, prefix: team/site, interval: 5m }
`,
  );
  const first = await runCli(["push", dir, yaml]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^uploaded 3 .*index team\/site\/\.bucketops\/index\.json written$/m);
  const [bytes] = await gcs.client.bucket("push-gcs").file("team/site/.bucketops/index.json").download();
  assertIndexNamesEveryFile(bytes);
  assert.deepEqual(
    (await gcs.listKeys("push-gcs")).sort(),
    [...Object.keys(FILES).map((k) => `team/site/${k}`), "team/site/.bucketops/index.json"].sort(),
  );
  const again = await runCli(["push", dir, yaml]);
  assert.match(again.stdout, /^uploaded 0 \(0 bytes\), deleted 0, 3 unchanged; index .* current$/m);
  await writeFile(path.join(dir, "apps/a.yaml"), "a: 2\n");
  const changed = await runCli(["push", dir, yaml]);
  assert.match(
    changed.stdout,
    /^uploaded 1 \(5 bytes\), deleted 0, 2 unchanged; index .* written$/m,
    changed.stderr,
  );
});

test("push to Azurite (Bucket YAML with an accountKey Secret): the objects are uploaded and the index names every file; a second push uploads nothing; one changed file uploads it and rewrites the index over the one read (If-Match)", async (t) => {
  const { dir, work } = await folder(t);
  await azurite.createContainer("push-azure");
  const yaml = path.join(work, "bucket.yaml");
  await writeFile(
    yaml,
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: { name: site, namespace: default }
spec:
  provider: azure
  bucketName: push-azure
  endpoint: "${azurite.endpoint}"
  interval: 5m
  secretRef: { name: azure-creds }
---
apiVersion: v1
kind: Secret
metadata: { name: azure-creds, namespace: default }
stringData: { accountKey: "${azurite.accountKey}" }
`,
  );
  const first = await runCli(["push", dir, yaml]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.includes(azurite.accountKey), false, "the key is never printed");
  const blob = azurite.client.getContainerClient("push-azure").getBlobClient(".bucketops/index.json");
  assertIndexNamesEveryFile(await blob.downloadToBuffer());
  const again = await runCli(["push", dir, yaml]);
  assert.match(again.stdout, /^uploaded 0 \(0 bytes\), deleted 0, 3 unchanged; index .* current$/m);
  await writeFile(path.join(dir, "apps/a.yaml"), "a: 2\n");
  const changed = await runCli(["push", dir, yaml]);
  assert.match(
    changed.stdout,
    /^uploaded 1 \(5 bytes\), deleted 0, 2 unchanged; index .* written$/m,
    changed.stderr,
  );
});

test("push to a file:// bucket: the files are written into its folder and the index names every file; a second push uploads nothing; one changed file uploads it and rewrites the index over the one read (If-Match)", async (t) => {
  const { dir, work } = await folder(t);
  const root = path.join(work, "bucket");
  await mkdir(root);
  const first = await runCli(["push", dir, `file://${root}`]);
  assert.equal(first.code, 0, first.stderr);
  assertIndexNamesEveryFile(await readFile(path.join(root, ".bucketops/index.json")));
  assert.equal(await readFile(path.join(root, "apps/deep/b.yaml"), "utf8"), FILES["apps/deep/b.yaml"]);
  const again = await runCli(["push", dir, `file://${root}`]);
  assert.match(
    again.stdout,
    /^uploaded 0 \(0 bytes\), deleted 0, 3 unchanged; index \.bucketops\/index\.json current$/m,
  );
  await writeFile(path.join(dir, "apps/a.yaml"), "a: 2\n");
  const changed = await runCli(["push", dir, `file://${root}`]);
  assert.match(
    changed.stdout,
    /^uploaded 1 \(5 bytes\), deleted 0, 2 unchanged; index .* written$/m,
    changed.stderr,
  );
  const index = parseIndex(await readFile(path.join(root, ".bucketops/index.json")));
  assert.equal(index.files["apps/a.yaml"]?.sha256, createHash("sha256").update("a: 2\n").digest("hex"));
});

test("push of a folder with a symlink leaving it exits 2 naming the link and the fix, and writes nothing to the bucket", async (t) => {
  const { dir, work } = await folder(t);
  const root = path.join(work, "bucket");
  await mkdir(root);
  await writeFile(path.join(work, "private.txt"), "not for the bucket");
  await symlink(path.join(work, "private.txt"), path.join(dir, "leak.txt"));
  const result = await runCli(["push", dir, `file://${root}`]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /^error: leak\.txt is a symlink to .*private\.txt, outside the folder; .*add leak\.txt to \.sourceignore/m,
  );
  assert.deepEqual(await readdir(root), []);
});

test("push of a folder with no file to push (empty, or everything ignored) exits 2 saying so, and --prune deletes nothing", async (t) => {
  const work = await tempDir(t, "push-empty");
  const root = path.join(work, "bucket");
  const empty = path.join(work, "empty");
  await mkdir(root);
  await mkdir(empty);
  await writeFile(path.join(root, "keep.yaml"), "k: 1\n");
  const result = await runCli(["push", empty, `file://${root}`, "--prune"]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^error: .*empty has no files to push; nothing was written$/m);
  await writeFile(path.join(empty, ".sourceignore"), "*\n");
  const ignored = await runCli(["push", empty, `file://${root}`, "--prune"]);
  assert.match(ignored.stderr, /has no files to push \(1 ignored by the rules\); nothing was written/);
  assert.deepEqual(await readdir(root), ["keep.yaml"]);
});
