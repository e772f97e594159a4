// The event-driven scan on a file:// bucket (the file provider's real stat): what it applies, when it lists instead,
// and the stored scan the engine keeps and drops. No server needed.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { initialStatus, type BucketStatus } from "../../src/api/status.js";
import { reconcile, type ReconcileResult } from "../../src/engine/reconcile.js";
import { createFileProvider } from "../../src/providers/file.js";
import type { BucketProvider } from "../../src/providers/types.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { scanSettings, scanSource, type SourceScanOptions } from "../../src/source/incremental-scan.js";
import type { ObjectChange } from "../../src/source/object-change.js";
import { scanBucket } from "../../src/source/scan.js";
import { readScanState, scanStatePath, writeScanState } from "../../src/source/scan-state.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { tempDir } from "../support/temp.js";

interface Fixture {
  root: string;
  cache: ContentCache;
  provider: BucketProvider;
  write(key: string, text: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** A full scan stored as the base, as the engine stores it after publishing. */
  storeBase(options: SourceScanOptions): Promise<void>;
  /** scanBucket with a fresh cache: what a listing gives now. */
  listing(options: SourceScanOptions): Promise<Awaited<ReturnType<typeof scanBucket>>>;
}

async function fixture(t: TestContext, files: Record<string, string>): Promise<Fixture> {
  const dir = await tempDir(t, "incremental");
  const root = path.join(dir, "bucket");
  const write = async (key: string, text: string): Promise<void> => {
    await mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await writeFile(path.join(root, key), text);
  };
  for (const [key, text] of Object.entries(files)) await write(key, text);
  const cache = new ContentCache(path.join(dir, "cache"));
  let fresh = 0;
  return {
    root,
    cache,
    provider: createFileProvider(root),
    write,
    remove: (key) => rm(path.join(root, key)),
    async storeBase(options) {
      const scan = await scanBucket(createFileProvider(root), cache, options);
      await writeScanState(
        scanStatePath((n) => cache.metaPath(n)),
        {
          settings: scanSettings(options),
          ignoreLayers: scan.ignoreLayers,
          ignoreFiles: scan.ignoreFiles,
          control: scan.control,
          index: scan.index,
        },
      );
    },
    listing: (options) =>
      scanBucket(createFileProvider(root), new ContentCache(path.join(dir, `fresh-${fresh++}`)), options),
  };
}

const put = (key: string): ObjectChange => ({ key, deleted: false });
const del = (key: string): ObjectChange => ({ key, deleted: true });
const base: SourceScanOptions = { source: "file", prefix: "apps/", ignore: "*.tmp" };

void test("incremental scan: adds, overwrites, deletes, ignored and out-of-prefix keys give a listing's exact entries with no LIST, one stat per relevant key", async (t) => {
  const f = await fixture(t, {
    ".sourceignore": "secret/\n",
    "apps/a.yaml": "a: 1\n",
    "apps/b.yaml": "b: 1\n",
    "apps/c/d.yaml": "d: 1\n",
    "apps/gone.yaml": "x\n",
    "other/o.yaml": "o\n",
  });
  await f.storeBase(base);
  await f.write("apps/a.yaml", "a: 2, longer\n"); // overwrite
  await f.write("apps/new/e.yaml", "e: 1\n"); // add
  await f.remove("apps/gone.yaml"); // delete
  await f.write("apps/secret/s.yaml", "s\n"); // ignored by the root .sourceignore
  await f.write("apps/x.tmp", "tmp\n"); // ignored by spec.ignore
  await f.write("other/p.yaml", "p\n"); // outside the prefix
  await f.remove("apps/b.yaml");
  await f.write("apps/b.yaml", "b: re-created\n"); // its delete event arrives after the re-upload's
  const changes = [
    put("apps/a.yaml"),
    put("apps/new/e.yaml"),
    put("apps/new/e.yaml"), // duplicated
    del("apps/gone.yaml"),
    put("apps/secret/s.yaml"),
    put("apps/x.tmp"),
    put("other/p.yaml"),
    put("apps/b.yaml"),
    del("apps/b.yaml"),
    put("apps/never-existed.yaml"),
  ];
  const scan = await scanSource(f.provider, f.cache, { ...base, changes });
  assert.equal(scan.mode, "incremental", scan.fallback);
  const want = await f.listing(base);
  assert.deepEqual([...scan.index], [...want.index], "entries (key, etag, size, md5) bit for bit");
  assert.equal(scan.index.revision(), want.index.revision());
  assert.deepEqual(
    scan.ignoreFiles,
    want.ignoreFiles.map(({ key, etag }) => ({ key, etag })),
  );
  assert.equal(f.provider.requests.list, 0, "no LIST");
  assert.equal(f.provider.requests.get, 0, "no GET (the .sourceignore rules come from the stored scan)");
  // a, e, gone, b, never-existed: ignored and out-of-prefix keys are not asked.
  assert.equal(f.provider.requests.head, 5);
});

void test("incremental scan: lists instead without a stored scan, after a spec change, or for more than maxChanges keys", async (t) => {
  const f = await fixture(t, { "apps/a.yaml": "a\n", "apps/b.yaml": "b\n" });
  const none = await scanSource(f.provider, f.cache, { ...base, changes: [put("apps/a.yaml")] });
  assert.deepEqual([none.mode, none.fallback], ["full", "no stored scan"]);
  await f.storeBase(base);
  for (const [what, options] of [
    ["prefix", { ...base, prefix: "apps/a" }],
    ["ignore", { ...base, ignore: "*.md" }],
    ["source", { ...base, source: "another" }],
  ] as const) {
    const scan = await scanSource(f.provider, f.cache, { ...options, changes: [put("apps/a.yaml")] });
    assert.deepEqual([scan.mode, scan.fallback], ["full", "the spec changed since the stored scan"], what);
  }
  const many = await scanSource(f.provider, f.cache, {
    ...base,
    maxChanges: 2,
    changes: [put("apps/a.yaml"), put("apps/b.yaml"), put("apps/c.yaml"), put("apps/a.yaml")],
  });
  assert.deepEqual([many.mode, many.fallback], ["full", "3 keys changed"]);
  const two = await scanSource(f.provider, f.cache, {
    ...base,
    maxChanges: 2,
    changes: [put("apps/a.yaml"), put("apps/b.yaml")],
  });
  assert.equal(two.mode, "incremental", "two distinct keys are within maxChanges 2");
  const interval = await scanSource(f.provider, f.cache, base);
  assert.deepEqual(
    [interval.mode, interval.fallback],
    ["full", undefined],
    "no changes: the interval's listing",
  );
});

void test("incremental scan: a change to any .sourceignore or to a listing key (the index object) lists, and the listing applies the new rules", async (t) => {
  const f = await fixture(t, { "apps/a.yaml": "a\n", "apps/b/c.yaml": "c\n" });
  const options = { ...base, listingKeys: ["apps/.bucketops/index.json"] };
  await f.storeBase(options);
  await f.write(".sourceignore", "b/\n");
  for (const key of [".sourceignore", "apps/.sourceignore", "apps/deep/.sourceignore"]) {
    const scan = await scanSource(f.provider, f.cache, {
      ...options,
      changes: [put("apps/a.yaml"), put(key)],
    });
    assert.deepEqual([scan.mode, scan.fallback], ["full", ".sourceignore changed"], key);
  }
  const listed = await scanSource(f.provider, f.cache, { ...options, changes: [put(".sourceignore")] });
  assert.deepEqual(
    [...listed.index].map((e) => e.key),
    ["apps/a.yaml"],
    "apps/b/ ignored by the new root .sourceignore",
  );
  const index = await scanSource(f.provider, f.cache, {
    ...options,
    changes: [put("apps/.bucketops/index.json")],
  });
  assert.deepEqual([index.mode, index.fallback], ["full", '"apps/.bucketops/index.json" changed']);
  assert.ok(f.provider.requests.list > 0);
});

void test("incremental scan: an unsafe changed key, one that makes an NFC/NFD twin, or a failed stat lists, so the listing reports the key as it always does", async (t) => {
  const f = await fixture(t, { "apps/a.yaml": "a\n", "apps/caf\u00e9.yaml": "nfc\n" });
  await f.storeBase(base);
  await f.write("apps/back\\slash.yaml", "x\n");
  await assert.rejects(
    scanSource(f.provider, f.cache, { ...base, changes: [put("apps/back\\slash.yaml")] }),
    { name: "UnsafeKeyError" },
  );
  await f.remove("apps/back\\slash.yaml");
  await f.write("apps/cafe\u0301.yaml", "nfd\n");
  await assert.rejects(scanSource(f.provider, f.cache, { ...base, changes: [put("apps/cafe\u0301.yaml")] }), {
    name: "KeyConflictError",
  });
  assert.ok(f.provider.requests.list > 0, "the errors came from a listing");
  await f.remove("apps/cafe\u0301.yaml");
  const refused = await scanSource(f.provider, f.cache, { ...base, changes: [put("apps/../../outside")] });
  assert.equal(refused.mode, "full");
  assert.match(
    refused.fallback ?? "",
    /^a stat failed \(key 'apps\/\.\.\/\.\.\/outside' leaves the bucket\)$/,
  );
});

/** reconcile() of a file:// Bucket as default/bucket in `env`, with `changes`. */
function sync(
  env: EngineEnv,
  spec: unknown,
  status: BucketStatus,
  changes?: readonly ObjectChange[],
): Promise<ReconcileResult> {
  return reconcile(
    { ref: { namespace: "default", name: "bucket" }, generation: 1, spec, status, changes },
    {
      store: env.store,
      readSecret: () => Promise.resolve(undefined),
      cacheRoot: path.join(env.dir, "cache"),
      logger: pino({ level: "silent" }),
      concurrency: 4,
    },
  );
}

void test("engine: the scan is stored after a published state, applied by the next event (stats.scan incremental, 0 LIST), and dropped after a failed reconcile", async (t) => {
  const env = await engineEnv(t);
  const root = path.join(env.dir, "bucket");
  await mkdir(root);
  await writeFile(path.join(root, "a.yaml"), "a: 1\n");
  await writeFile(path.join(root, "b.yaml"), "b: 1\n");
  const spec = { url: `file://${root}`, interval: "5m" };
  const stateFile = scanStatePath((n) =>
    new ContentCache(path.join(env.dir, "cache/default/bucket")).metaPath(n),
  );

  const first = await sync(env, spec, initialStatus(), [put("a.yaml")]);
  assert.equal(first.outcome, "stored", first.error?.message);
  assert.equal(first.stats.scan, "full", "no stored scan yet");
  assert.equal((await readScanState(stateFile))?.index.size, 2, "stored after the artifact");

  await writeFile(path.join(root, "a.yaml"), "a: 2\n");
  const second = await sync(env, spec, first.status, [put("a.yaml")]);
  assert.equal(second.outcome, "stored", second.error?.message);
  assert.deepEqual(
    [second.stats.scan, second.stats.listRequests, second.stats.headRequests, second.stats.getRequests],
    ["incremental", 0, 1, 1],
  );
  const unchanged = await sync(env, spec, second.status, [put("a.yaml")]);
  assert.deepEqual([unchanged.outcome, unchanged.stats.scan], ["unchanged", "incremental"]);
  assert.ok(await readScanState(stateFile), "kept after an unchanged reconcile");

  // A reconcile that publishes nothing (over spec.limits) spends its events: the stored scan goes.
  await writeFile(path.join(root, "c.yaml"), "c: 1\n");
  const limited = { ...spec, limits: { maxObjects: 2 } };
  const failed = await sync(env, limited, unchanged.status, [put("c.yaml")]);
  assert.equal(failed.error?.reason, "LimitExceeded", failed.error?.message);
  assert.equal(await readScanState(stateFile), undefined, "dropped after the failure");
  await rm(path.join(root, "c.yaml"));
  const after = await sync(env, spec, failed.status, [put("b.yaml")]);
  assert.equal(after.stats.scan, "full", "lists: the base is gone");
  assert.equal(after.status.artifact?.revision, second.status.artifact?.revision);
});
