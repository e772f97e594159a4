// Odd keys on fake-gcs-server and Azurite (127.0.0.1): GCS lists JSON, and @azure/storage-blob decodes the names
// Azure marks Encoded="true" (names with characters XML cannot hold); both must return every key as uploaded. A key
// that is also a folder (`x` and `x/y.yaml`, which these flat namespaces hold, unlike MinIO's) fails with InvalidPath.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { text } from "node:stream/consumers";
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { normalizeSpec } from "../../src/api/normalize.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { DEFAULT_TUNING } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { runCli } from "../support/cli.js";
import { artifactFiles, assertFailed, assertReady, assertSameFiles } from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { tempDir } from "../support/temp.js";

let gcs: FakeGcsServer;
let azurite: AzuriteServer;

before(async () => {
  [gcs, azurite] = await Promise.all([startFakeGcs(), startAzurite()]);
});

after(async () => {
  await Promise.all([gcs?.stop(), azurite?.stop()]);
});

interface Backend {
  name: string;
  /** Creates the bucket (container) holding `keys`, each with the body "body of <key>". */
  seed(bucket: string, keys: readonly string[]): Promise<void>;
  spec(bucket: string, ignore?: string): Record<string, unknown>;
  secret?: SecretData;
  /** The odd keys the server can list. */
  oddKeys: readonly string[];
  /** A key with a control character the server can list. */
  controlKey: string;
}

const ODD_KEYS = [
  "ctl/tab\t.yaml",
  "sp/a b.yaml",
  "sp/a+b.yaml",
  "sp/100%.yaml",
  "sp/%41.yaml",
  "sp/<tag>&amp;'\".yaml",
  "u/ünï.yaml",
  "u/😀.yaml",
];

const BACKENDS: Backend[] = [
  {
    name: "fake-gcs-server",
    async seed(bucket, keys) {
      await gcs.createBucket(bucket);
      await gcs.putObjects(
        bucket,
        keys.map((k) => [k, `body of ${k}`]),
      );
    },
    controlKey: "ctl/\x01start.yaml",
    oddKeys: ["ctl/\x01start.yaml", "ctl/esc\x1b[31m.yaml", ...ODD_KEYS],
    spec: (bucket, ignore) => ({
      provider: "gcp",
      bucketName: bucket,
      endpoint: gcs.hostPort,
      insecure: true,
      interval: "5m",
      ...(ignore === undefined ? {} : { ignore }),
    }),
  },
  {
    name: "Azurite",
    async seed(bucket, keys) {
      await azurite.createContainer(bucket);
      await azurite.putObjects(
        bucket,
        keys.map((k) => [k, `body of ${k}`]),
      );
    },
    // Azurite answers a listing holding \x01 or \x1b with HTTP 500 (Azure itself sends such names Encoded="true",
    // which @azure/storage-blob decodes), so those two are left out here.
    controlKey: "ctl/cr\r.yaml",
    oddKeys: [...ODD_KEYS, "ctl/cr\r.yaml"], // Azurite sends the CR as "&#xD;", which the SDK leaves as it is
    spec: (bucket, ignore) => ({
      provider: "azure",
      bucketName: bucket,
      endpoint: azurite.endpoint,
      interval: "5m",
      secretRef: { name: "creds" },
      ...(ignore === undefined ? {} : { ignore }),
    }),
    get secret(): SecretData {
      return { accountKey: azurite.accountKey };
    },
  },
];

async function makeEnv(t: TestContext, backend: Backend): Promise<EngineEnv> {
  const env = await engineEnv(t);
  if (backend.secret) env.secrets.set("creds", backend.secret);
  return env;
}

for (const backend of BACKENDS) {
  test(`${backend.name}: the listing returns keys with tab, space, +, %, XML markup, non-ASCII (GCS also \\x01, \\x1b; Azure also CR) exactly as uploaded, and each GET returns its body`, async () => {
    const bucket = "keys-listing";
    await backend.seed(bucket, backend.oddKeys);
    const spec = normalizeSpec(backend.spec(bucket));
    const connection = await resolveConnection(spec, "default", () => Promise.resolve(backend.secret));
    const provider = await createProvider(connection, DEFAULT_TUNING);
    try {
      const listed: string[] = [];
      for await (const info of provider.list("")) listed.push(info.key);
      assert.deepEqual([...listed].sort(), [...backend.oddKeys].sort());
      for (const key of backend.oddKeys) {
        assert.equal(await text(await provider.get(key)), `body of ${key}`, `GET of ${JSON.stringify(key)}`);
      }
    } finally {
      provider.close();
    }
  });

  test(`${backend.name}: a key with a control character fails with InvalidPath naming it escaped, not "object not found"`, async (t) => {
    const env = await makeEnv(t, backend);
    const bucket = "keys-control";
    await backend.seed(bucket, [backend.controlKey, "ok.yaml"]);
    const result = await env.sync(backend.spec(bucket));
    const message = assertFailed(result, "InvalidPath");
    t.diagnostic(message);
    assert.ok(message.includes(JSON.stringify(backend.controlKey)), message);
    assert.match(message, /control character U\+00/);
    assert.equal(result.stats.getRequests, 0);
  });

  test(`${backend.name}: x and x/y.yaml fail with InvalidPath naming both, nothing downloaded; excluding the folder x/ publishes the rest`, async (t) => {
    const env = await makeEnv(t, backend);
    const bucket = "keys-file-folder";
    await backend.seed(bucket, ["x", "x/y.yaml", "x-other.yaml", "ok.yaml"]);
    const result = await env.sync(backend.spec(bucket));
    const message = assertFailed(result, "InvalidPath");
    t.diagnostic(message);
    assert.match(message, /"x" is both a file and the folder of "x\/y\.yaml"/);
    assert.match(message, /rename or delete one object of each, or exclude one with spec\.ignore/);
    assert.equal(result.stats.getRequests, 0);
    const fixed = await env.sync(backend.spec(bucket, "/x/\n"), result.status);
    assertSameFiles(await artifactFiles(env, assertReady(fixed)), {
      x: "body of x",
      "x-other.yaml": "body of x-other.yaml",
      "ok.yaml": "body of ok.yaml",
    });
  });
}

test("bucketops fetch -o dir of gs:// holding x and x/y.yaml fails with InvalidPath naming both (exit 1), never EEXIST, and writes no file", async (t) => {
  const work = await tempDir(t, "keys-cli");
  const bucket = "cli-file-folder";
  await BACKENDS[0]?.seed(bucket, ["x", "x/y.yaml"]);
  const out = path.join(work, "out");
  const result = await runCli([
    "fetch",
    `gs://${bucket}`,
    "--endpoint",
    gcs.hostPort,
    "--insecure",
    "-o",
    out,
    "--cache-dir",
    path.join(work, "cache"),
  ]);
  assert.equal(result.code, 1, `exit code (stderr: ${result.stderr})`);
  assert.match(result.stderr, /fetch failed: InvalidPath: /);
  assert.match(result.stderr, /"x" is both a file and the folder of "x\/y\.yaml"/);
  assert.doesNotMatch(result.stderr, /EEXIST/);
  assert.deepEqual(await readdir(out).catch(() => []), []);
});
