// spec.limits and the runtime limits: parsing, precedence, and the engine's check before any download (file://).
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { pino } from "pino";
import { DEFAULT_LIMITS, type Limits } from "../../src/api/limits.js";
import { normalizeSpec } from "../../src/api/normalize.js";
import { formatBytes, parseByteQuantity } from "../../src/api/quantity.js";
import { findCondition, initialStatus, type BucketStatus } from "../../src/api/status.js";
import { byteSizeFlag } from "../../src/cli/flags.js";
import { reconcile, type ReconcileResult } from "../../src/engine/reconcile.js";
import { checkLimits, effectiveLimits, LimitExceededError } from "../../src/source/limits.js";
import { ArtifactStore } from "../../src/storage/artifact-store.js";
import { writeSizedBucket } from "../support/sized-bucket.js";
import { tempDir } from "../support/temp.js";

void test("parseByteQuantity reads numbers and Kubernetes quantities, binary and decimal; refuses the rest", () => {
  const ok: [string | number, number][] = [
    [0, 0],
    [1500, 1500],
    ["1500", 1500],
    ["1Ki", 1024],
    ["1.5Ki", 1536],
    ["512Mi", 512 * 2 ** 20],
    ["10Gi", 10 * 2 ** 30],
    ["2Ti", 2 * 2 ** 40],
    ["1k", 1000],
    ["1.5M", 1_500_000],
    ["1G", 1e9],
    ["1P", 1e15],
  ];
  for (const [input, bytes] of ok) assert.equal(parseByteQuantity(input), bytes, String(input));
  for (const bad of [
    "",
    "1 Gi",
    "1gi",
    "1GB",
    "-1",
    "1.1Ki",
    "0.5",
    "1e9",
    "Gi",
    "1m",
    "8Ei",
    -1,
    1.5,
    Number.NaN,
  ])
    assert.equal(parseByteQuantity(bad), undefined, String(bad));
});

void test("formatBytes prints exact binary multiples as quantities, others with one decimal and the byte count", () => {
  assert.equal(formatBytes(10 * 2 ** 30), "10Gi");
  assert.equal(formatBytes(1536), "1.5 KiB (1536 bytes)");
  assert.equal(formatBytes(1024 * 1024 + 1), "1.0 MiB (1048577 bytes)");
  assert.equal(formatBytes(999), "999 bytes");
});

void test("spec.limits normalizes to bytes; a bad size or count names the field and what is allowed", () => {
  const base = { url: "file:///tmp/x", interval: "1m" };
  assert.deepEqual(
    normalizeSpec({ ...base, limits: { maxObjectSize: "1Gi", maxTotalSize: 2048, maxObjects: 10 } }).limits,
    { maxObjectSize: 2 ** 30, maxTotalSize: 2048, maxObjects: 10 },
  );
  assert.equal(normalizeSpec(base).limits, undefined);
  const bad: [unknown, RegExp][] = [
    [{ maxObjectSize: "1GB" }, /spec\.limits\.maxObjectSize: must be a byte size/],
    [{ maxTotalSize: -5 }, /spec\.limits\.maxTotalSize: must be a byte size/],
    [{ maxTotalSize: true }, /spec\.limits\.maxTotalSize: must be a byte size/],
    [{ maxObjects: 0 }, /spec\.limits\.maxObjects: must be a whole number of 1 or more/],
    [{ maxObjects: "10" }, /spec\.limits\.maxObjects/],
    [{ maxFiles: 1 }, /spec\.limits\.maxFiles: unknown field/],
  ];
  for (const [limits, message] of bad)
    assert.throws(() => normalizeSpec({ ...base, limits }), message, JSON.stringify(limits));
});

void test("effectiveLimits: the runtime's value unless spec.limits asks for less; spec cannot raise it", () => {
  assert.deepEqual(effectiveLimits(undefined).limits, DEFAULT_LIMITS);
  const runtime: Limits = { maxObjectSize: 1000, maxTotalSize: 5000, maxObjects: 10 };
  const e = effectiveLimits({ maxObjectSize: 100, maxTotalSize: 9999 }, runtime);
  assert.deepEqual(e.limits, { maxObjectSize: 100, maxTotalSize: 5000, maxObjects: 10 });
  assert.deepEqual(e.sources, { maxObjectSize: "spec", maxTotalSize: "runtime", maxObjects: "runtime" });
});

void test("checkLimits names the limit, its value and source, the figure, and for object size the first offending key", () => {
  const entries = [
    { key: "a", size: 10 },
    { key: "big-1", size: 3000 },
    { key: "big-2", size: 4000 },
  ];
  const cases: [Partial<Limits>, string, RegExp][] = [
    [
      { maxObjects: 2 },
      "maxObjects",
      /^limit maxObjects exceeded: 3 objects to publish, over spec\.limits\.maxObjects = 2; raise spec\.limits\.maxObjects \(up to the runtime's --max-objects\), or exclude objects with spec\.ignore$/,
    ],
    [
      { maxObjectSize: 2048 },
      "maxObjectSize",
      /^limit maxObjectSize exceeded: object "big-1" is 2\.9 KiB \(3000 bytes\), over spec\.limits\.maxObjectSize = 2Ki;/,
    ],
    [
      { maxTotalSize: 4096 },
      "maxTotalSize",
      /the objects to publish total 6\.8 KiB \(7010 bytes\), over spec\.limits\.maxTotalSize = 4Ki/,
    ],
  ];
  for (const [spec, limit, message] of cases) {
    assert.throws(
      () => {
        checkLimits(entries, entries.length, effectiveLimits(spec));
      },
      (error: unknown) => {
        assert.ok(error instanceof LimitExceededError);
        assert.equal(error.limit, limit);
        assert.match(error.message, message);
        return true;
      },
    );
  }
  assert.throws(() => {
    checkLimits(entries, 3, effectiveLimits({}, { maxObjects: 1 }));
  }, /over maxObjects \(the runtime's --max-objects\) = 1; raise --max-objects, or exclude/);
  assert.doesNotThrow(() => {
    checkLimits(entries, 3, effectiveLimits({ maxObjects: 3, maxObjectSize: 4000, maxTotalSize: 7010 }));
  });
});

// --- the engine, on a file:// bucket

interface Env {
  sync(
    spec: Record<string, unknown>,
    status?: BucketStatus,
    limits?: Partial<Limits>,
  ): Promise<ReconcileResult>;
  data: string;
}

async function fileEnv(t: TestContext): Promise<Env> {
  const dir = await tempDir(t, "limits");
  const data = path.join(dir, "data");
  await writeSizedBucket(data);
  const store = new ArtifactStore({
    root: path.join(dir, "storage"),
    baseUrl: "http://127.0.0.1:1",
    retentionRecords: 2,
    retentionTtlMs: 60_000,
  });
  return {
    data,
    sync: (spec, status = initialStatus(), limits) =>
      reconcile(
        {
          ref: { namespace: "default", name: "b" },
          generation: 1,
          spec: { interval: "5m", url: `file://${data}`, ...spec },
          status,
        },
        {
          store,
          readSecret: () => Promise.resolve(undefined),
          cacheRoot: path.join(dir, "cache"),
          logger: pino({ level: "silent" }),
          concurrency: 4,
          ...(limits ? { limits } : {}),
        },
      ),
  };
}

function assertLimitExceeded(result: ReconcileResult, message: RegExp): void {
  assert.equal(result.outcome, "failed");
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready.reason, "LimitExceeded");
  assert.equal(findCondition(result.status, "FetchFailed")?.reason, "LimitExceeded");
  assert.match(ready.message, message);
  assert.equal(result.stats.getRequests, 0, "nothing is downloaded");
}

void test("reconcile: each spec.limits value exceeded fails with LimitExceeded before any download and keeps the last artifact", async (t) => {
  const env = await fileEnv(t);
  const good = await env.sync({});
  assert.equal(good.outcome, "stored", good.error?.message);
  const artifact = good.status.artifact;
  assert.ok(artifact);
  await writeFile(path.join(env.data, "new.yaml"), "new");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ maxObjects: 3 }, /limit maxObjects exceeded: 4 objects to publish, over spec\.limits\.maxObjects = 3/],
    [
      { maxObjectSize: "2Ki" },
      /object "big\.bin" is 2\.9 KiB \(3000 bytes\), over spec\.limits\.maxObjectSize = 2Ki/,
    ],
    [{ maxTotalSize: "7Ki" }, /total 7\.9 KiB \(8103 bytes\), over spec\.limits\.maxTotalSize = 7Ki/],
  ];
  for (const [limits, message] of cases) {
    const result = await env.sync({ limits }, good.status);
    assertLimitExceeded(result, message);
    assert.deepEqual(result.status.artifact, artifact, "the last good artifact stays in status");
  }
});

void test("reconcile: ignored objects do not count, and the runtime limit bounds a larger spec.limits", async (t) => {
  const env = await fileEnv(t);
  const ignored = await env.sync({ ignore: "*.md\n", limits: { maxTotalSize: "4Ki", maxObjects: 2 } });
  assert.equal(ignored.outcome, "stored", ignored.error?.message);
  const ceiling = await env.sync({ limits: { maxObjects: 100 } }, initialStatus(), { maxObjects: 2 });
  assertLimitExceeded(
    ceiling,
    /3 objects to publish, over maxObjects \(the runtime's --max-objects\) = 2; raise --max-objects/,
  );
  const runtimeSize = await env.sync({}, initialStatus(), { maxObjectSize: 4096 });
  assertLimitExceeded(
    runtimeSize,
    /object "docs\/notes\.md" is 4\.9 KiB \(5000 bytes\), over maxObjectSize \(the runtime's --max-object-size\) = 4Ki/,
  );
});

void test("byteSizeFlag takes quantities and refuses zero and junk with what is allowed", () => {
  assert.equal(byteSizeFlag("10Gi"), 10 * 2 ** 30);
  assert.equal(byteSizeFlag("2048"), 2048);
  for (const bad of ["0", "ten", "1GB", ""])
    assert.throws(() => byteSizeFlag(bad), /must be a byte size such as/);
});
