// `bucketops push` against a real MinIO: what is uploaded, in which order, and what a second push sends.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { createProvider } from "../../src/providers/index.js";
import type { BucketProvider, BucketWriter } from "../../src/providers/types.js";
import { loadPublicKey, verifyIndex } from "../../src/publish/signature.js";
import { parseIndex } from "../../src/publish/index-object.js";
import { push, type PushResult } from "../../src/publish/push.js";
import { PushFailedError, type PushEvent } from "../../src/publish/push-execute.js";
import { runCli, type CliResult } from "../support/cli.js";
import { startFaultProxy } from "../support/fault-proxy.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { tempDir } from "../support/temp.js";

let minio: MinioServer;
before(async () => {
  minio = await startMinio();
});
after(async () => {
  await minio.stop();
});

const sha256 = (b: string | Buffer): string => createHash("sha256").update(b).digest("hex");

/** A fresh bucket and a local folder holding `files`. */
async function setup(t: TestContext, bucket: string, files: Record<string, string>): Promise<string> {
  await minio.createBucket(bucket);
  const dir = path.join(await tempDir(t, "push-minio"), "site");
  await writeTree(dir, files);
  return dir;
}

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
}

function cli(args: string[]): Promise<CliResult> {
  return runCli(["push", ...args, "--endpoint", minio.endpoint, "--insecure"], {
    env: {
      AWS_ACCESS_KEY_ID: minio.accessKey,
      AWS_SECRET_ACCESS_KEY: minio.secretKey,
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
}

async function objectText(bucket: string, key: string): Promise<string> {
  const out = await minio.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString()) ?? "";
}

/** MinIO's view: every key with its ETag and modification time. */
async function listing(bucket: string): Promise<Map<string, string>> {
  const out = await minio.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return new Map(
    (out.Contents ?? []).map((o) => [o.Key ?? "", `${o.ETag} ${o.LastModified?.toISOString()}`]),
  );
}

/** A provider on MinIO for the programmatic API (its request counters count the PUTs and DELETEs). */
async function minioProvider(
  t: TestContext,
  bucket: string,
  endpoint = minio.endpoint,
): Promise<BucketProvider & BucketWriter> {
  const provider = await createProvider(
    {
      kind: "s3",
      flavor: "generic",
      bucketName: bucket,
      endpoint,
      region: "us-east-1",
      insecure: true,
      credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
      transport: {},
    },
    { requestTimeoutMs: 30_000, maxSockets: 16 },
  );
  t.after(() => {
    provider.close();
  });
  return provider;
}

async function pushApi(
  provider: BucketProvider & BucketWriter,
  dir: string,
  extra: Partial<Parameters<typeof push>[0]> = {},
): Promise<{ result: PushResult; events: PushEvent[]; puts: number; deletes: number }> {
  const events: PushEvent[] = [];
  const before = { put: provider.requests.put, delete: provider.requests.delete };
  const result = await push({
    dir,
    provider,
    writer: provider,
    prefix: "site",
    tool: "bucketops/test",
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return {
    result,
    events,
    puts: provider.requests.put - before.put,
    deletes: provider.requests.delete - before.delete,
  };
}

const FILES = {
  ".sourceignore": "*.secret\ndrafts/\n",
  "apps/a.yaml": "kind: ConfigMap\nmetadata:\n  name: a\n",
  "apps/b.yaml": "kind: ConfigMap\nmetadata:\n  name: b\n",
  "README.md": "# site\n",
  "token.secret": "do-not-upload",
  "drafts/wip.yaml": "wip: true\n",
};
const PUSHED = [".sourceignore", "README.md", "apps/a.yaml", "apps/b.yaml"];

test("push (CLI, s3:// url with environment credentials) uploads every file but the .sourceignore'd ones, then an index naming each with its sha256 and size; prints one summary line when piped", async (t) => {
  const dir = await setup(t, "push-first", FILES);
  const result = await cli([dir, "s3://push-first/site"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    "uploaded 4 (" +
      String(PUSHED.reduce((n, k) => n + Buffer.byteLength(FILES[k as keyof typeof FILES]), 0)) +
      " bytes), deleted 0, 0 unchanged; index site/.bucketops/index.json written\n",
  );
  assert.equal(result.stderr, "", "no progress bar when stderr is not a terminal");
  const keys = [...(await listing("push-first")).keys()].sort();
  assert.deepEqual(keys, [...PUSHED.map((k) => `site/${k}`), "site/.bucketops/index.json"].sort());
  const index = parseIndex(Buffer.from(await objectText("push-first", "site/.bucketops/index.json")));
  assert.deepEqual(Object.keys(index.files).sort(), [...PUSHED].sort());
  for (const key of PUSHED) {
    const content = FILES[key as keyof typeof FILES];
    assert.deepEqual(index.files[key], { sha256: sha256(content), size: Buffer.byteLength(content) }, key);
    assert.equal(await objectText("push-first", `site/${key}`), content, key);
  }
  assert.equal(index.tool, "bucketops/0.1.0");
  assert.ok(Math.abs(Date.parse(index.createdAt) - Date.now()) < 60_000, "createdAt is the push's time");
  assert.equal(index.signatures, undefined);
});

test("push again with nothing changed sends 0 PUTs and leaves every object (index too) as it was; one changed file sends exactly that object, then the index", async (t) => {
  const dir = await setup(t, "push-again", FILES);
  const provider = await minioProvider(t, "push-again");
  const first = await pushApi(provider, dir);
  assert.equal(first.puts, PUSHED.length + 1);
  const beforeAgain = await listing("push-again");

  const again = await pushApi(provider, dir);
  assert.equal(again.puts, 0, "no PUT at all");
  assert.deepEqual(again.events, []);
  assert.equal(again.result.plan.index, "current");
  assert.deepEqual(await listing("push-again"), beforeAgain, "MinIO's view: no object rewritten");

  await writeFile(path.join(dir, "apps/b.yaml"), "kind: ConfigMap\nmetadata:\n  name: b2\n");
  const changed = await pushApi(provider, dir);
  assert.equal(changed.puts, 2);
  assert.deepEqual(
    changed.events.map((e) => `${e.type} ${e.key}`),
    ["upload site/apps/b.yaml", "index site/.bucketops/index.json"],
  );
  const index = parseIndex(Buffer.from(await objectText("push-again", "site/.bucketops/index.json")));
  assert.equal(index.files["apps/b.yaml"]?.sha256, sha256("kind: ConfigMap\nmetadata:\n  name: b2\n"));
  assert.deepEqual(Object.keys(index.files).sort(), [...PUSHED].sort());
});

test("a removed file stays without --prune (index no longer names it); --prune deletes it after the index is written; ignored objects are never deleted", async (t) => {
  const dir = await setup(t, "push-prune", FILES);
  const provider = await minioProvider(t, "push-prune");
  await pushApi(provider, dir);
  await minio.client.send(
    new PutObjectCommand({ Bucket: "push-prune", Key: "site/other.secret", Body: "x" }),
  );
  await rm(path.join(dir, "apps/a.yaml"));

  const kept = await pushApi(provider, dir);
  assert.equal(kept.deletes, 0);
  assert.ok((await listing("push-prune")).has("site/apps/a.yaml"), "kept without --prune");
  let index = parseIndex(Buffer.from(await objectText("push-prune", "site/.bucketops/index.json")));
  assert.equal(index.files["apps/a.yaml"], undefined, "the index lists only the folder's files");

  await writeFile(path.join(dir, "apps/c.yaml"), "c: 1\n");
  await rm(path.join(dir, "apps/b.yaml"));
  const pruned = await pushApi(provider, dir, { prune: true });
  const order = pruned.events.map((e) => `${e.type} ${e.key}`);
  assert.deepEqual(
    order.slice(0, 2),
    ["upload site/apps/c.yaml", "index site/.bucketops/index.json"],
    "the object, then the index",
  );
  assert.deepEqual(
    order.slice(2).sort(),
    ["delete site/apps/a.yaml", "delete site/apps/b.yaml"],
    "then the deletions (in parallel, any order)",
  );
  const keys = [...(await listing("push-prune")).keys()].sort();
  assert.deepEqual(keys, [
    "site/.bucketops/index.json",
    "site/.sourceignore",
    "site/README.md",
    "site/apps/c.yaml",
    "site/other.secret",
  ]);
  index = parseIndex(Buffer.from(await objectText("push-prune", "site/.bucketops/index.json")));
  assert.deepEqual(Object.keys(index.files).sort(), [".sourceignore", "README.md", "apps/c.yaml"]);
});

test("push --dry-run --prune prints + / ~ / - lines and a summary, exits 0, and MinIO's listing is unchanged (no index written either)", async (t) => {
  const dir = await setup(t, "push-dry", FILES);
  assert.equal((await cli([dir, "s3://push-dry/site"])).code, 0);
  await writeFile(path.join(dir, "apps/new.yaml"), "n: 1\n");
  await writeFile(path.join(dir, "README.md"), "# changed\n");
  await rm(path.join(dir, "apps/a.yaml"));
  const before = await listing("push-dry");
  const dry = await cli([dir, "s3://push-dry/site", "--dry-run", "--prune"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(
    dry.stdout,
    "+ site/apps/new.yaml\n~ site/README.md\n- site/apps/a.yaml\n" +
      "dry run: 1 to add, 1 to change, 1 to delete, 2 unchanged; index site/.bucketops/index.json would be written; nothing written\n",
  );
  assert.deepEqual(await listing("push-dry"), before);
  const noPrune = await cli([dir, "s3://push-dry/site", "--dry-run"]);
  assert.match(noPrune.stdout, /0 to delete, 2 unchanged, 1 not in the folder kept \(--prune deletes them\)/);
  assert.doesNotMatch(noPrune.stdout, /^- /m);
});

test("push --sign writes an index whose signature verifyIndex accepts with the public key and rejects with another key; a later unsigned index is re-signed only when --sign asks", async (t) => {
  const dir = await setup(t, "push-sign", { "a.yaml": "a: 1\n" });
  const keys = await tempDir(t, "push-keys");
  const pair = generateKeyPairSync("ed25519");
  const other = generateKeyPairSync("ed25519");
  const privatePem = path.join(keys, "signing.pem");
  await writeFile(privatePem, pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  const result = await cli([dir, "s3://push-sign", "--sign", privatePem]);
  assert.equal(result.code, 0, result.stderr);
  const index = parseIndex(Buffer.from(await objectText("push-sign", ".bucketops/index.json")));
  const publicKey = loadPublicKey(pair.publicKey.export({ type: "spki", format: "pem" }), "public");
  const otherKey = loadPublicKey(other.publicKey.export({ type: "spki", format: "pem" }), "other");
  assert.equal(verifyIndex(index, [publicKey]).valid, true);
  assert.equal(verifyIndex(index, [otherKey]).valid, false);
  const again = await cli([dir, "s3://push-sign", "--sign", privatePem]);
  assert.match(
    again.stdout,
    /^uploaded 0 .*index \.bucketops\/index\.json current$/m,
    "already signed by this key",
  );

  await writeFile(path.join(dir, "a.yaml"), "a: 2\n");
  assert.equal((await cli([dir, "s3://push-sign"])).code, 0);
  const unsigned = parseIndex(Buffer.from(await objectText("push-sign", ".bucketops/index.json")));
  assert.equal(unsigned.signatures, undefined, "a push without --sign writes an unsigned index");
  const unchanged = await cli([dir, "s3://push-sign"]);
  assert.match(
    unchanged.stdout,
    /^uploaded 0 .*current$/m,
    "without --sign, an unchanged folder writes nothing",
  );
  const resign = await cli([dir, "s3://push-sign", "--sign", privatePem]);
  assert.match(
    resign.stdout,
    /^uploaded 0 .*index \.bucketops\/index\.json written$/m,
    "--sign rewrites the index",
  );
  const resigned = parseIndex(Buffer.from(await objectText("push-sign", ".bucketops/index.json")));
  assert.equal(verifyIndex(resigned, [publicKey]).valid, true);

  const notAKey = path.join(keys, "not-a-key.pem");
  await writeFile(notAKey, "hello");
  const bad = await cli([dir, "s3://push-sign", "--sign", notAKey]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--sign .*not-a-key\.pem is not a PEM private key/);
});

test("an upload MinIO refuses (a key over 1024 bytes) fails push --prune with exit 1 naming the key; no index is written and nothing is deleted", async (t) => {
  const long = Array.from({ length: 6 }, (_, i) => String(i).repeat(200)).join("/");
  const dir = await setup(t, "push-fail", { "ok.yaml": "ok: 1\n", [`${long}/x.yaml`]: "x: 1\n" });
  await minio.client.send(new PutObjectCommand({ Bucket: "push-fail", Key: "stale.yaml", Body: "s" }));
  const result = await cli([dir, "s3://push-fail", "--prune"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /push failed: uploading failed: put s3:\/\/push-fail\/0{200}\/.*x\.yaml: KeyTooLongError/,
  );
  assert.match(result.stderr, /The index object was not written/);
  assert.equal((await listing("push-fail")).has(".bucketops/index.json"), false);
  assert.equal((await listing("push-fail")).has("stale.yaml"), true, "no deletion after a failed upload");
});

test("an index written by someone else between the plan and the index write is not overwritten: the push fails with PushFailedError and deletes nothing", async (t) => {
  const dir = await setup(t, "push-race", { "a.yaml": "a: 1\n" });
  const provider = await minioProvider(t, "push-race");
  await pushApi(provider, dir);
  await minio.client.send(new PutObjectCommand({ Bucket: "push-race", Key: "site/gone.yaml", Body: "g" }));
  await writeFile(path.join(dir, "a.yaml"), "a: 2\n");
  const rival = '{"someone":"else"}';
  await assert.rejects(
    pushApi(provider, dir, {
      prune: true,
      onPlan: async () => {
        await minio.client.send(
          new PutObjectCommand({ Bucket: "push-race", Key: "site/.bucketops/index.json", Body: rival }),
        );
      },
    }),
    (e: unknown) => e instanceof PushFailedError && /changed while this push ran/.test(e.message),
  );
  assert.equal(await objectText("push-race", "site/.bucketops/index.json"), rival);
  assert.ok((await listing("push-race")).has("site/gone.yaml"), "nothing deleted");
});

test("PUTs answered 503 beyond the writer's own 3 attempts: with no push-level retry the push fails and writes no index; with the default policy the push completes, index included", async (t) => {
  const dir = await setup(t, "push-retry", { "a.yaml": "a: 1\n", "b.yaml": "b: 1\n" });
  const proxy = await startFaultProxy(minio.url);
  t.after(() => proxy.stop());
  const provider = await minioProvider(t, "push-retry", proxy.endpoint);
  proxy.fault = { kind: "status", status: 503, count: 3, method: "PUT" };
  await assert.rejects(
    pushApi(provider, dir, { concurrency: 1, retry: { retries: 0, baseDelayMs: 0 } }),
    (e: unknown) => e instanceof PushFailedError && /503|SlowDown|injected/.test(e.message),
  );
  assert.equal((await listing("push-retry")).has("site/.bucketops/index.json"), false);
  proxy.fault = { kind: "status", status: 503, count: 4, method: "PUT" };
  const pushed = await pushApi(provider, dir, { concurrency: 1 });
  assert.equal(pushed.result.indexWritten, true);
  assert.deepEqual([...(await listing("push-retry")).keys()].sort(), [
    "site/.bucketops/index.json",
    "site/a.yaml",
    "site/b.yaml",
  ]);
});

test("the concurrency option (--concurrency) bounds the uploads in flight: 40 files with concurrency 3 never have more than 3 PUTs open, and do have 3 at once", async (t) => {
  const files = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f/${i}.txt`, `file ${i}\n`]));
  const dir = await setup(t, "push-concurrency", files);
  const provider = await minioProvider(t, "push-concurrency");
  let open = 0;
  let peak = 0;
  const counting: BucketWriter = {
    async put(key, body, size, options) {
      peak = Math.max(peak, ++open);
      try {
        return await provider.put(key, body, size, options);
      } finally {
        open--;
      }
    },
    delete: (key, signal) => provider.delete(key, signal),
  };
  await push({ dir, provider, writer: counting, prefix: "", tool: "bucketops/test", concurrency: 3 });
  assert.equal(peak, 3);
  assert.equal((await listing("push-concurrency")).size, 41);
});
