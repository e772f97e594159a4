// The event-driven reconcile on GCS (a real fake-gcs-server) and Azure Blob (a real Azurite), 127.0.0.1: the stat of
// those providers (metadata GET, getProperties) feeds the stored scan exactly as their listing would.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { pino } from "pino";
import { normalizeSpec } from "../../src/api/normalize.js";
import { initialStatus, type BucketStatus } from "../../src/api/status.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import { DEFAULT_TUNING, reconcile, type ReconcileResult } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import { ContentCache } from "../../src/source/content-cache.js";
import type { ObjectChange } from "../../src/source/object-change.js";
import { scanBucket } from "../../src/source/scan.js";
import { readScanState, scanStatePath } from "../../src/source/scan-state.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { assertReady } from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { serviceAccountJson } from "../support/gcp-key.js";
import { tempDir } from "../support/temp.js";

let gcs: FakeGcsServer;
let azurite: AzuriteServer;

before(async () => {
  [gcs, azurite] = await Promise.all([startFakeGcs(), startAzurite()]);
});

after(async () => {
  await Promise.all([gcs?.stop(), azurite?.stop()]);
});

interface Row {
  name: string;
  createBucket(name: string): Promise<void>;
  put(bucket: string, objects: [string, string][]): Promise<void>;
  delete(bucket: string, key: string): Promise<void>;
  spec(bucket: string): Record<string, unknown>;
  creds(): SecretData;
}

const ROWS: Row[] = [
  {
    name: "GCS (fake-gcs-server)",
    createBucket: (name) => gcs.createBucket(name),
    put: (bucket, objects) => gcs.putObjects(bucket, objects),
    delete: (bucket, key) => gcs.deleteObject(bucket, key),
    spec: (bucket) => ({ provider: "gcp", endpoint: gcs.hostPort, insecure: true, bucketName: bucket }),
    creds: () => ({ serviceaccount: serviceAccountJson() }),
  },
  {
    name: "Azure Blob (Azurite)",
    createBucket: (name) => azurite.createContainer(name),
    put: (container, objects) => azurite.putObjects(container, objects),
    delete: (container, key) => azurite.deleteObject(container, key),
    spec: (container) => ({ provider: "azure", endpoint: azurite.endpoint, bucketName: container }),
    creds: () => ({ accountKey: azurite.accountKey }),
  },
];

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
      readSecret: (ns, name) => Promise.resolve(ns === "default" ? env.secrets.get(name) : undefined),
      cacheRoot: path.join(env.dir, "cache"),
      logger: pino({ level: "silent" }),
      concurrency: 8,
    },
  );
}

for (const row of ROWS) {
  void test(`${row.name}: an overwrite, an upload and a deletion named by events give 0 LIST, 2 GET and a stored index equal to a fresh listing's (key, etag, size, md5)`, async (t: TestContext) => {
    const bucket = "events-cloud";
    await row.createBucket(bucket);
    await row.put(
      bucket,
      Array.from({ length: 20 }, (_, i): [string, string] => [`apps/f-${i}.yaml`, `i: ${i}\n`]),
    );
    const spec = {
      ...row.spec(bucket),
      prefix: "apps/",
      interval: "1h",
      secretRef: { name: "creds" },
    };
    const env = await engineEnv(t);
    env.secrets.set("creds", row.creds());
    const first = await sync(env, spec, initialStatus());
    assert.equal(first.outcome, "stored", first.error?.message);

    await row.put(bucket, [
      ["apps/f-3.yaml", "i: 3\nchanged: true\n"],
      ["apps/new.yaml", "new: 1\n"],
    ]);
    await row.delete(bucket, "apps/f-5.yaml");
    const changes = [
      { key: "apps/f-3.yaml", deleted: false },
      { key: "apps/new.yaml", deleted: false },
      { key: "apps/f-5.yaml", deleted: true },
    ];
    const event = await sync(env, spec, first.status, changes);
    assert.equal(event.outcome, "stored", event.error?.message);
    assert.deepEqual(
      [event.stats.scan, event.stats.listRequests, event.stats.getRequests],
      ["incremental", 0, 2],
    );

    const normalized = normalizeSpec(spec);
    const connection = await resolveConnection(normalized, "default", () => Promise.resolve(row.creds()));
    const provider = await createProvider(connection, DEFAULT_TUNING);
    const fresh = await scanBucket(provider, new ContentCache(await tempDir(t, "fresh")), {
      prefix: normalized.prefix,
    }).finally(() => {
      provider.close();
    });
    assert.equal(assertReady(event).revision, fresh.index.revision());
    const cache = new ContentCache(path.join(env.dir, "cache/default/bucket"));
    const stored = await readScanState(scanStatePath((n) => cache.metaPath(n)));
    assert.deepEqual([...(stored?.index ?? [])], [...fresh.index], "bit for bit, md5s included");
    assert.ok(
      [...fresh.index].some((e) => e.md5 !== undefined),
      "the listing gives MD5s here, so they are compared",
    );
  });
}
