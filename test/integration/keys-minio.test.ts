// Odd keys on a real MinIO (127.0.0.1): every key S3 can hold survives the listing (EncodingType=url), and keys that
// cannot all become files (control characters, NFC/NFD twins) fail with InvalidPath naming them, in the engine and in
// `bucketops fetch -o dir` (run `npm run build` first: it runs dist/). MinIO cannot list both `x` and `x/y.yaml` (it
// hides the keys below an object of the same name), so that collision is tested on fake-gcs-server and Azurite
// (keys-gcs-azure.test.ts).
import { readdir } from "node:fs/promises";
import path from "node:path";
import { text } from "node:stream/consumers";
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { normalizeSpec } from "../../src/api/normalize.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import { createProvider } from "../../src/providers/index.js";
import { listObjectsV1, listObjectsV2 } from "../../src/providers/s3-list.js";
import { DEFAULT_TUNING } from "../../src/engine/reconcile.js";
import { runCli } from "../support/cli.js";
import { artifactFiles, assertFailed, assertReady, assertSameFiles } from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { tempDir } from "../support/temp.js";

let minio: MinioServer;

before(async () => {
  minio = await startMinio();
});

after(async () => {
  await minio?.stop();
});

function bucketSpec(bucketName: string, ignore?: string): Record<string, unknown> {
  return {
    provider: "generic",
    bucketName,
    endpoint: minio.endpoint,
    insecure: true,
    interval: "5m",
    secretRef: { name: "creds" },
    ...(ignore === undefined ? {} : { ignore }),
  };
}

async function makeEnv(t: TestContext): Promise<EngineEnv> {
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  return env;
}

/** Creates `bucket` holding `keys`, each with the body "body of <key>". */
async function seed(bucket: string, keys: readonly string[]): Promise<void> {
  await minio.createBucket(bucket);
  await minio.putObjects(
    bucket,
    keys.map((k) => [k, `body of ${k}`]),
  );
}

const CONTROL_KEYS = [
  "ctl/\x01start.yaml",
  "ctl/esc\x1b[31m.yaml",
  "ctl/cr\r.yaml",
  "ctl/lf\n.yaml",
  "ctl/tab\t.yaml",
];
// Keys that are valid file names but that XML or url encoding could mangle.
const PORTABLE_ODD_KEYS = [
  "sp/a b.yaml",
  "sp/a+b.yaml",
  "sp/100%.yaml",
  "sp/%41.yaml",
  "sp/q?x=1&y=2#z.yaml",
  "sp/<tag>&amp;'\".yaml",
  "u/ünï.yaml",
  "u/日本.yaml",
  "u/😀.yaml",
];

test("listing with EncodingType=url: V2 (provider, and 2-key pages) and v1 (2-key pages) return every key as uploaded, and each GET returns its body", async () => {
  const bucket = "keys-listing";
  const keys = [...CONTROL_KEYS, ...PORTABLE_ODD_KEYS];
  await seed(bucket, keys);
  const spec = normalizeSpec(bucketSpec(bucket));
  const connection = await resolveConnection(spec, "default", () =>
    Promise.resolve({ accesskey: minio.accessKey, secretkey: minio.secretKey }),
  );
  const provider = await createProvider(connection, DEFAULT_TUNING);
  try {
    const listed: string[] = [];
    for await (const info of provider.list("")) listed.push(info.key);
    assert.deepEqual([...listed].sort(), [...keys].sort(), "provider.list (ListObjectsV2)");
    for (const key of keys) {
      assert.equal(await text(await provider.get(key)), `body of ${key}`, `GET of ${JSON.stringify(key)}`);
    }
  } finally {
    provider.close();
  }

  // Pages of 2 keys: continuation tokens (V2) and markers (v1, sent back decoded) cross the odd keys.
  for (const [name, list] of [
    ["V2", listObjectsV2],
    ["v1", listObjectsV1],
  ] as const) {
    const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
    const paged: string[] = [];
    for await (const o of list(minio.client, { bucket, prefix: "", requests, maxKeys: 2 })) paged.push(o.Key);
    assert.deepEqual([...paged].sort(), [...keys].sort(), `${name} in 2-key pages`);
    // MinIO may end with one empty page after a full one.
    assert.ok(
      requests.list >= Math.ceil(keys.length / 2),
      `${name}: ${requests.list} pages of at most 2 keys`,
    );
  }
});

test("keys with control characters (\\x01, \\x1b, CR, LF, tab) fail the Bucket with InvalidPath naming them escaped, nothing downloaded; excluded by spec.ignore, the other odd keys publish byte for byte", async (t) => {
  const env = await makeEnv(t);
  const bucket = "keys-control";
  await seed(bucket, [...CONTROL_KEYS, ...PORTABLE_ODD_KEYS]);
  const refused = await env.sync(bucketSpec(bucket));
  const message = assertFailed(refused, "InvalidPath");
  t.diagnostic(message);
  assert.ok(
    CONTROL_KEYS.some((k) => message.includes(JSON.stringify(k))),
    `names a control-character key, escaped: ${message}`,
  );
  assert.match(message, /control character U\+00[01][0-9A-F]/);
  assert.match(message, /spec\.ignore/);
  // eslint-disable-next-line no-control-regex -- raw control characters are what must not be there
  assert.doesNotMatch(message, /[\x01\x1b\r\n]/, "the message holds no raw control character");
  assert.equal(refused.stats.getRequests, 0);

  const ignored = await env.sync(bucketSpec(bucket, "/ctl/\n"), refused.status);
  const artifact = assertReady(ignored);
  assertSameFiles(
    await artifactFiles(env, artifact),
    Object.fromEntries(PORTABLE_ODD_KEYS.map((k) => [k, `body of ${k}`])),
  );
});

test("NFC/NFD twins (é as U+00E9 and as e + U+0301) fail with InvalidPath naming both, nothing downloaded", async (t) => {
  const env = await makeEnv(t);
  const bucket = "keys-nfc-twins";
  const nfc = "caf\u00e9.yaml";
  const nfd = "cafe\u0301.yaml";
  await seed(bucket, [nfc, nfd, "ok.yaml"]);
  const result = await env.sync(bucketSpec(bucket));
  const message = assertFailed(result, "InvalidPath");
  t.diagnostic(message);
  assert.ok(message.includes(String.raw`"caf\u00e9.yaml"`), `names the NFC key: ${message}`);
  assert.ok(message.includes(String.raw`"cafe\u0301.yaml"`), `names the NFD key: ${message}`);
  assert.match(message, /NFC normalization/);
  assert.equal(result.stats.getRequests, 0);
});

test("bucketops fetch -o dir fails with InvalidPath (exit 1), never EEXIST, and writes no file, for a control-character key and NFC/NFD twins", async (t) => {
  const work = await tempDir(t, "keys-cli");
  const cases: [bucket: string, keys: string[], names: RegExp][] = [
    ["cli-control", ["a\x01b.yaml", "ok.yaml"], /"a\\u0001b\.yaml"/],
    ["cli-nfc", ["caf\u00e9.yaml", "cafe\u0301.yaml"], /"caf\\u00e9\.yaml" and "cafe\\u0301\.yaml"/],
  ];
  for (const [bucket, keys, names] of cases) {
    await seed(bucket, keys);
    const out = path.join(work, bucket);
    const result = await runCli(
      [
        "fetch",
        `s3://${bucket}`,
        "--endpoint",
        minio.endpoint,
        "--insecure",
        "-o",
        out,
        "--cache-dir",
        path.join(work, "cache"),
      ],
      {
        env: {
          AWS_ACCESS_KEY_ID: minio.accessKey,
          AWS_SECRET_ACCESS_KEY: minio.secretKey,
          AWS_EC2_METADATA_DISABLED: "true",
        },
      },
    );
    assert.equal(result.code, 1, `${bucket}: exit code (stderr: ${result.stderr})`);
    assert.match(result.stderr, /fetch failed: InvalidPath: /, bucket);
    assert.match(result.stderr, names, bucket);
    assert.doesNotMatch(result.stderr, /EEXIST/, bucket);
    assert.deepEqual(await readdir(out).catch(() => []), [], `${bucket}: nothing written to ${out}`);
  }
});
