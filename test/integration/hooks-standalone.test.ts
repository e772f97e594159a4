// Bucket events on `bucketops run` (the built CLI) against real MinIO, fake-gcs-server and Azurite: documented
// S3, Pub/Sub, Event Grid and generic payloads wake the right Bucket at once while its interval is 1h; a wrong
// token wakes nothing; a burst is debounced into one reconcile; and MinIO's own webhook publishes an upload.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { PutBucketNotificationConfigurationCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { BucketView } from "../../src/standalone/runner.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { runArgs, runCli, startServerProcess } from "../support/cli.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import {
  eventGridBlobEvent,
  eventGridValidation,
  pubsubPush,
  s3Notification,
  s3Record,
} from "../support/hook-payloads.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { freePort } from "../support/ports.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const NS = "hooks";
const TOKENS = { s3: "s3-hook-token", gcs: "gcs-hook-token", azure: "azure-hook-token" };
const HMAC_KEY = "generic-hook-key";
const WEBHOOK_ID = "BUCKETOPS";

let minio: MinioServer;
let gcs: FakeGcsServer;
let azurite: AzuriteServer;
let work: string;
let server: Awaited<ReturnType<typeof startServerProcess>>;

function bucketsYaml(): string {
  const s3 = (name: string, bucket: string, prefix: string): string => `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: ${NS}}
spec: {interval: 1h, provider: generic, bucketName: ${bucket}, prefix: "${prefix}", endpoint: "${minio.endpoint}", insecure: true, secretRef: {name: minio}}
`;
  const secret = (name: string, data: Record<string, string>): string => `---
apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${NS}}
stringData: ${JSON.stringify(data)}
`;
  return [
    s3("s3-apps", "hooks-s3", "apps/"),
    s3("s3-infra", "hooks-s3", "infra/"),
    s3("burst", "hooks-burst", ""),
    s3("e2e", "hooks-e2e", ""),
    `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: gcs, namespace: ${NS}}
spec: {interval: 1h, provider: gcp, bucketName: hooks-gcs, endpoint: "${gcs.hostPort}", insecure: true}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: blob, namespace: ${NS}}
spec: {interval: 1h, provider: azure, bucketName: hooks-azure, endpoint: "${azurite.endpoint}", secretRef: {name: azurite}}
`,
    secret("minio", { accesskey: minio.accessKey, secretkey: minio.secretKey }),
    secret("azurite", { accountKey: azurite.accountKey }),
    secret("hook-s3", { token: TOKENS.s3 }),
    secret("hook-gcs", { token: TOKENS.gcs }),
    secret("hook-azure", { token: TOKENS.azure }),
    secret("hook-generic", { hmacKey: HMAC_KEY }),
  ].join("");
}

/** A counter of a Bucket from /metrics (0 before its first reconcile); `extra` narrows by another label. */
async function metric(series: string, name: string, extra = ""): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith(`${series}{`) &&
        l.includes(`name="${name}"`) &&
        l.includes(`namespace="${NS}"`) &&
        l.includes(extra),
    );
  return line ? Number(line.split(" ").at(-1)) : 0;
}

/** Finished reconciles of a Bucket. */
const reconciles = (name: string): Promise<number> => metric("gotk_reconcile_duration_seconds_count", name);

async function view(name: string): Promise<BucketView> {
  return (await (await fetch(`${server.url}/api/buckets/${NS}/${name}`)).json()) as BucketView;
}

const revision = async (name: string): Promise<string | undefined> =>
  (await view(name)).status.artifact?.revision;

function waitReconciles(name: string, count: number, timeoutMs = 15_000): Promise<number> {
  return waitFor(
    `${name} to reach ${count} reconciles`,
    async () => {
      const n = await reconciles(name);
      return n >= count && !(await view(name)).reconciling ? n : undefined;
    },
    { timeoutMs, intervalMs: 20, context: () => server.logs().slice(-3000) },
  );
}

function hook(
  kind: string,
  body: string,
  headers: Record<string, string> = {},
  query = "",
): Promise<Response> {
  return fetch(`${server.url}/hooks/${kind}${query}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

const signed = (body: string): Record<string, string> => ({
  "x-signature": `sha256=${createHmac("sha256", HMAC_KEY).update(body).digest("hex")}`,
});

before(async () => {
  const port = await freePort();
  [minio, gcs, azurite] = await Promise.all([
    startMinio({
      env: {
        [`MINIO_NOTIFY_WEBHOOK_ENABLE_${WEBHOOK_ID}`]: "on",
        [`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${WEBHOOK_ID}`]: `http://127.0.0.1:${port}/hooks/s3`,
        [`MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_${WEBHOOK_ID}`]: TOKENS.s3,
      },
    }),
    startFakeGcs(),
    startAzurite(),
  ]);
  for (const bucket of ["hooks-s3", "hooks-burst", "hooks-e2e"]) await minio.createBucket(bucket);
  await minio.putObjects("hooks-s3", [
    ["apps/a.yaml", "a: 1\n"],
    ["infra/i.yaml", "i: 1\n"],
  ]);
  await minio.putObjects("hooks-burst", [["k0.yaml", "k: 0\n"]]);
  // 10,000 objects beside the one that changes: the event-driven reconcile must not list them.
  const filler = Array.from({ length: E2E_FILLER }, (_, i): [string, string] => [
    `filler/f${String(i).padStart(5, "0")}.yaml`,
    `n: ${i}\n`,
  ]);
  await minio.putObjects("hooks-e2e", [["app.yaml", "version: 1\n"], ...filler]);
  await gcs.createBucket("hooks-gcs");
  await gcs.putObjects("hooks-gcs", [["g.yaml", "g: 1\n"]]);
  await azurite.createContainer("hooks-azure");
  await azurite.putObjects("hooks-azure", [["b.yaml", "b: 1\n"]]);

  work = await makeTempDir("hooks-e2e");
  const config = path.join(work, "config");
  await mkdir(config, { recursive: true });
  await writeFile(path.join(config, "buckets.yaml"), bucketsYaml());
  const args = runArgs(config, path.join(work, "storage"), "--log-level", "debug");
  args[args.indexOf("127.0.0.1:0")] = `127.0.0.1:${port}`;
  for (const kind of ["s3", "gcs", "azure", "generic"])
    args.push("--hook-secret", `${kind}=${NS}/hook-${kind}`);
  server = await startServerProcess(args);
  for (const name of ["s3-apps", "s3-infra", "burst", "e2e", "gcs", "blob"]) {
    await waitFor(`${name} Ready`, async () => (await revision(name)) !== undefined, {
      intervalMs: 50,
      context: () => server.logs().slice(-3000),
    });
  }
});

after(async () => {
  await server?.stop();
  await Promise.all([minio?.stop(), gcs?.stop(), azurite?.stop()]);
  if (work) await removeDir(work);
});

test("an S3 notification with the bearer token reconciles the Bucket whose prefix holds the key, not its sibling", async () => {
  const before = { apps: await reconciles("s3-apps"), infra: await reconciles("s3-infra") };
  const oldRevision = await revision("s3-apps");
  await minio.client.send(
    new PutObjectCommand({ Bucket: "hooks-s3", Key: "apps/new file.yaml", Body: "n: 1\n" }),
  );
  const res = await hook("s3", s3Notification(s3Record("hooks-s3", "apps/new file.yaml")), {
    authorization: `Bearer ${TOKENS.s3}`,
  });
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: [`${NS}/s3-apps`], events: 1, ignored: 0 });
  await waitReconciles("s3-apps", before.apps + 1);
  assert.notEqual(await revision("s3-apps"), oldRevision, "the new object is published");
  assert.equal(await reconciles("s3-infra"), before.infra, "the sibling prefix was not woken");
});

test("a wrong token gets 401 and triggers no reconcile", async () => {
  const before = await reconciles("s3-infra");
  const lastAt = (await view("s3-infra")).lastReconcile?.at;
  const body = s3Notification(s3Record("hooks-s3", "infra/i.yaml"));
  assert.equal((await hook("s3", body, { authorization: "Bearer not-the-token" })).status, 401);
  assert.equal((await hook("s3", body, {}, "?token=not-the-token")).status, 401);
  assert.equal((await hook("s3", body)).status, 401);
  // Barrier: a valid event sent after them wakes s3-apps; had the refused ones been accepted, their windows
  // (opened earlier) would have closed first.
  const apps = await reconciles("s3-apps");
  const ok = await hook("s3", s3Notification(s3Record("hooks-s3", "apps/a.yaml")), {
    authorization: `Bearer ${TOKENS.s3}`,
  });
  assert.equal(ok.status, 202);
  await waitReconciles("s3-apps", apps + 1);
  assert.equal(await reconciles("s3-infra"), before);
  assert.equal((await view("s3-infra")).lastReconcile?.at, lastAt);
});

test("a Pub/Sub push with ?token= reconciles the gcp Bucket and publishes the new object", async () => {
  const before = await reconciles("gcs");
  const oldRevision = await revision("gcs");
  await gcs.putObjects("hooks-gcs", [["new.yaml", "n: 1\n"]]);
  const res = await hook("gcs", pubsubPush("hooks-gcs", "new.yaml"), {}, `?token=${TOKENS.gcs}`);
  assert.equal(res.status, 202);
  await waitReconciles("gcs", before + 1);
  assert.notEqual(await revision("gcs"), oldRevision);
});

test("Event Grid: the validation handshake is answered, then a BlobCreated delivery reconciles the azure Bucket", async () => {
  const validation = await hook(
    "azure",
    eventGridValidation("validation-code-1"),
    {},
    `?token=${TOKENS.azure}`,
  );
  assert.equal(validation.status, 200);
  assert.deepEqual(await validation.json(), { validationResponse: "validation-code-1" });
  const before = await reconciles("blob");
  const oldRevision = await revision("blob");
  await azurite.putObjects("hooks-azure", [["dir/new.yaml", "n: 1\n"]]);
  const event = eventGridBlobEvent(azurite.accountName, "hooks-azure", "dir/new.yaml");
  const res = await hook(
    "azure",
    JSON.stringify([event]),
    { "aeg-event-type": "Notification" },
    `?token=${TOKENS.azure}`,
  );
  assert.equal(res.status, 202);
  await waitReconciles("blob", before + 1);
  assert.notEqual(await revision("blob"), oldRevision);
});

test("10 signed generic POSTs within 50 ms give one reconcile carrying the 10 keys", async () => {
  const before = await reconciles("burst");
  const bodies = Array.from({ length: 10 }, (_, i) =>
    JSON.stringify({ namespace: NS, name: "burst", keys: [`k${i}.yaml`] }),
  );
  const started = Date.now();
  const statuses = await Promise.all(bodies.map(async (b) => (await hook("generic", b, signed(b))).status));
  const sentMs = Date.now() - started;
  assert.deepEqual(statuses, Array(10).fill(202));
  assert.ok(sentMs < 200, `the 10 POSTs took ${sentMs} ms, longer than the debounce window`);
  await waitReconciles("burst", before + 1);
  // Barrier: an event for another Bucket, sent now, reconciles after any second window of this one would have.
  const apps = await reconciles("s3-apps");
  await hook("s3", s3Notification(s3Record("hooks-s3", "apps/a.yaml")), {
    authorization: `Bearer ${TOKENS.s3}`,
  });
  await waitReconciles("s3-apps", apps + 1);
  assert.equal(await reconciles("burst"), before + 1, "exactly one reconcile");
  const runs = server
    .logs()
    .split("\n")
    .filter((l) => l.includes('"reconciling for bucket events"') && l.includes(`"${NS}/burst"`))
    .map((l) => JSON.parse(l) as { changes: number; keys: string[] });
  assert.equal(runs.length, 1);
  assert.equal(runs[0]?.changes, 10);
  assert.deepEqual(runs[0]?.keys.sort(), bodies.map((_, i) => `k${i}.yaml`).sort());
});

const E2E_FILLER = 10_000;

test("MinIO's webhook target (auth_token) publishes each uploaded change within 2 s while the interval is 1h; beside 10,000 objects each event-driven reconcile sends 0 LIST and exactly 1 GET", async (t) => {
  await minio.client.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: "hooks-e2e",
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            QueueArn: `arn:minio:sqs::${WEBHOOK_ID}:webhook`,
            Events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
          },
        ],
      },
    }),
  );
  const latencies: number[] = [];
  const requests = async (): Promise<{ list: number; get: number }> => ({
    list: await metric("bucketops_provider_requests_total", "e2e", 'operation="list"'),
    get: await metric("bucketops_provider_requests_total", "e2e", 'operation="get"'),
  });
  const requestsBefore = await requests();
  for (let round = 2; round <= 4; round++) {
    const oldRevision = await revision("e2e");
    const before = await reconciles("e2e");
    await minio.client.send(
      new PutObjectCommand({ Bucket: "hooks-e2e", Key: "app.yaml", Body: `version: ${round}\n` }),
    );
    const uploaded = Date.now();
    await waitFor(
      "the new artifact",
      async () => {
        const r = await revision("e2e");
        return r !== undefined && r !== oldRevision;
      },
      { timeoutMs: 10_000, intervalMs: 10, context: () => server.logs().slice(-3000) },
    );
    latencies.push(Date.now() - uploaded);
    assert.equal(await waitReconciles("e2e", before + 1), before + 1, "one reconcile per upload");
  }
  const requestsAfter = await requests();
  t.diagnostic(`upload → new artifact: ${latencies.join(", ")} ms (debounce window 200 ms)`);
  t.diagnostic(
    `provider requests of the 3 event-driven reconciles: ${requestsAfter.list - requestsBefore.list} LIST, ${requestsAfter.get - requestsBefore.get} GET`,
  );
  assert.ok(Math.max(...latencies) < 2000, `latencies ${latencies.join(", ")} ms`);
  assert.equal(
    requestsAfter.list - requestsBefore.list,
    0,
    "no LIST: the events were applied to the stored index",
  );
  assert.equal(requestsAfter.get - requestsBefore.get, 3, "one GET per changed object");
  assert.match((await view("e2e")).nextReconcileAt ?? "", /./, "the hourly full listing stays scheduled");
});

test("--hook-secret refuses an unknown kind and a kind given twice with exit code 2, saying what is allowed", async () => {
  const unknown = await runCli(["run", "--hook-secret", "github=ns/secret"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /hook kind "github" is unknown; use one of s3, gcs, azure, generic/);
  const twice = await runCli(["controller", "--hook-secret", "s3=ns/a", "--hook-secret", "s3=ns/b"]);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /the s3 hook is given twice/);
});
