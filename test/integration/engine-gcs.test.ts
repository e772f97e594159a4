// Engine-level integration tests for the GCS provider: reconcile() against a real fake-gcs-server on 127.0.0.1,
// through @google-cloud/storage's JSON API. No mock of the server, and no traffic beyond loopback (checked below).
import { createHash, generateKeyPairSync } from "node:crypto";
import dc from "node:diagnostics_channel";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { ClientRequest } from "node:http";
import type { Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { connect as tlsConnect } from "node:tls";
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { findCondition, initialStatus, type Artifact, type BucketStatus } from "../../src/api/status.js";
import { extractTarGz } from "../../src/artifact/extract.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { reconcile, type EngineDeps, type ReconcileResult } from "../../src/engine/reconcile.js";
import { ArtifactStore, type BucketRef } from "../../src/storage/artifact-store.js";
import { serviceAccountJson } from "../support/gcp-key.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { startMinio, type MinioServer } from "../support/minio.js";

// ---------------------------------------------------------------------------------------------------------------
// Servers, and a record of every host this process talks to

let gcs: FakeGcsServer;
let minio: MinioServer;

/** Every HTTP request's host and every resolved / connected socket address, for the loopback-only check. */
const contacted = new Set<string>();
/** Paths of the HTTP requests sent, in order (to check what a download asks for). */
const requestPaths: string[] = [];
const onRequest = (message: unknown): void => {
  const { request } = message as { request: ClientRequest };
  contacted.add(request.host);
  requestPaths.push(request.path);
};
const onSocket = (message: unknown): void => {
  const { socket } = message as { socket: Socket };
  socket.once("lookup", (_error: unknown, address: string, _family: unknown, host: string) => {
    contacted.add(host);
    contacted.add(address);
  });
  socket.once("connect", () => {
    if (socket.remoteAddress) contacted.add(socket.remoteAddress);
  });
};

before(async () => {
  dc.subscribe("http.client.request.start", onRequest);
  dc.subscribe("net.client.socket", onSocket);
  [gcs, minio] = await Promise.all([startFakeGcs({ https: true }), startMinio()]);
});

after(async () => {
  await Promise.all([gcs?.stop(), minio?.stop()]);
  dc.unsubscribe("http.client.request.start", onRequest);
  dc.unsubscribe("net.client.socket", onSocket);
});

const NAMESPACE = "default";
const REF: BucketRef = { namespace: NAMESPACE, name: "demo" };

/** Flux's long form of a GCS Bucket pointing at the emulator (no secretRef: emulators take no credentials). */
function gcsSpec(
  bucketName: string,
  extra: { prefix?: string; ignore?: string; secretRef?: string } = {},
): Record<string, unknown> {
  return {
    provider: "gcp",
    bucketName,
    endpoint: gcs.hostPort,
    insecure: true,
    prefix: extra.prefix ?? "",
    interval: "5m0s",
    ...(extra.secretRef === undefined ? {} : { secretRef: { name: extra.secretRef } }),
    ...(extra.ignore === undefined ? {} : { ignore: extra.ignore }),
  };
}

/** A syntactically valid service-account key with a fresh RSA key (never sent anywhere). */

interface Env {
  dir: string;
  store: ArtifactStore;
  secrets: Map<string, SecretData>;
  deps: EngineDeps;
  sync(spec: unknown, status: BucketStatus, ref?: BucketRef): Promise<ReconcileResult>;
}

async function makeEnv(t: TestContext): Promise<Env> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bucketops-engine-gcs-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new ArtifactStore({
    root: path.join(dir, "storage"),
    baseUrl: "http://127.0.0.1:1",
    retentionRecords: 2,
    retentionTtlMs: 60_000,
  });
  const secrets = new Map<string, SecretData>([
    ["gcs-credentials", { gcp_credentials: serviceAccountJson() }],
  ]);
  const deps: EngineDeps = {
    store,
    readSecret: (namespace, name) => Promise.resolve(namespace === NAMESPACE ? secrets.get(name) : undefined),
    cacheRoot: path.join(dir, "cache"),
    logger: pino({ level: "silent" }),
    concurrency: 16,
  };
  return {
    dir,
    store,
    secrets,
    deps,
    sync: (spec, status, ref = REF) => reconcile({ ref, generation: 1, spec, status }, deps),
  };
}

function assertReady(result: ReconcileResult): Artifact {
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "True", `Ready should be True: ${ready?.message ?? "no Ready condition"}`);
  assert.equal(ready.reason, "Succeeded");
  assert.ok(result.status.artifact, "status.artifact is set");
  return result.status.artifact;
}

function assertFailed(result: ReconcileResult, reason: string): string {
  assert.equal(result.outcome, "failed");
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready.reason, reason, `Ready reason (message: ${ready.message})`);
  assert.equal(findCondition(result.status, "FetchFailed")?.reason, reason);
  return ready.message;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

async function artifactFiles(env: Env, artifact: Artifact): Promise<Map<string, string>> {
  const out = await mkdtemp(path.join(env.dir, "extract-"));
  const names = await extractTarGz(createReadStream(env.store.absolute(artifact.path)), out);
  const files = new Map<string, string>();
  for (const name of names) files.set(name, await readFile(path.join(out, name), "utf8"));
  await rm(out, { recursive: true, force: true });
  return files;
}

function assertSameFiles(actual: Map<string, string>, expected: Record<string, string>): void {
  assert.deepEqual([...actual.keys()].sort(), Object.keys(expected).sort());
  for (const [name, content] of Object.entries(expected))
    assert.equal(actual.get(name), content, `content of ${name}`);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

// ---------------------------------------------------------------------------------------------------------------
// (a) the seed document's url form with a service-account Secret, and Flux's long form

test("a. gs:// url form with a gcp_credentials Secret and Flux's long form publish the same artifact", async (t) => {
  const env = await makeEnv(t);
  const bucket = "gcs-forms";
  await gcs.createBucket(bucket);
  await gcs.putObjects(
    bucket,
    Object.entries({
      "path/to/manifests/app.yaml": "kind: Deployment\n",
      "path/to/manifests/sub/svc.yaml": "kind: Service\n",
      "path/to/other.yaml": "outside the prefix\n",
    }),
  );
  // With an emulator endpoint (plain http) the key is validated but never used to sign a token request.
  const urlSpec = {
    interval: "5m0s",
    url: `gs://${bucket}/path/to/manifests`,
    endpoint: gcs.url,
    insecure: true,
    secretRef: { name: "gcs-credentials" },
  };
  const viaUrl = await env.sync(urlSpec, initialStatus(), { namespace: NAMESPACE, name: "via-url" });
  t.diagnostic(`url form: ${JSON.stringify(viaUrl.stats)}`);
  assert.equal(viaUrl.spec?.provider, "gcp");
  assert.equal(viaUrl.spec?.bucketName, bucket);
  assert.equal(viaUrl.spec?.prefix, "path/to/manifests");
  const artifact = assertReady(viaUrl);
  assert.equal(await sha256File(env.store.absolute(artifact.path)), artifact.digest);
  assertSameFiles(await artifactFiles(env, artifact), {
    "path/to/manifests/app.yaml": "kind: Deployment\n",
    "path/to/manifests/sub/svc.yaml": "kind: Service\n",
  });

  const viaLong = await env.sync(gcsSpec(bucket, { prefix: "path/to/manifests" }), initialStatus(), {
    namespace: NAMESPACE,
    name: "via-long",
  });
  const long = assertReady(viaLong);
  assert.equal(long.digest, artifact.digest);
  assert.equal(long.revision, artifact.revision);
});

// ---------------------------------------------------------------------------------------------------------------
// (b)-(e): a paginated prefix, then unchanged, one object changed, one deleted

test("b-e. incremental sync of a 1,250-object prefix", async (t) => {
  const env = await makeEnv(t);
  const bucket = "gcs-big";
  await gcs.createBucket(bucket);
  const prefix = "path/to/manifests/";
  const files: Record<string, string> = {};
  for (let i = 0; i < 1250; i++) {
    files[`${prefix}team-${i % 5}/cfg-${String(i).padStart(4, "0")}.yaml`] = `id: ${i}\nteam: ${i % 5}\n`;
  }
  const t0 = Date.now();
  await gcs.putObjects(bucket, Object.entries({ ...files, "path/to/elsewhere.yaml": "not published\n" }));
  t.diagnostic(`uploaded 1,251 objects to fake-gcs-server in ${seconds(Date.now() - t0)}`);
  const spec = gcsSpec(bucket, { prefix });
  let status = initialStatus();

  await t.test("b. first sync lists page by page and publishes exactly the uploaded files", async (t) => {
    const result = await env.sync(spec, status);
    status = result.status;
    t.diagnostic(`first sync: ${JSON.stringify(result.stats)}`);
    assert.equal(result.outcome, "stored");
    const artifact = assertReady(result);
    // 1,250 objects at 1,000 per page: 2 pages, plus one list for the root .sourceignore (a prefix is set).
    assert.ok(result.stats.listRequests > 1, `paginated (listRequests=${result.stats.listRequests})`);
    assert.equal(result.stats.listRequests, 3);
    assert.equal(result.stats.objects, 1250);
    assert.equal(result.stats.downloaded, 1250);
    assert.equal(result.stats.getRequests, 1250);
    assert.equal(await sha256File(env.store.absolute(artifact.path)), artifact.digest);
    assertSameFiles(await artifactFiles(env, artifact), files);
  });

  await t.test("c. nothing changed: zero GETs, same artifact", async (t) => {
    const result = await env.sync(spec, status);
    t.diagnostic(`unchanged: ${JSON.stringify(result.stats)}`);
    assert.equal(result.outcome, "unchanged");
    assert.equal(result.stats.getRequests, 0);
    assert.deepEqual(assertReady(result), status.artifact);
    status = result.status;
  });

  const changedKey = `${prefix}team-0/cfg-0000.yaml`;
  await t.test("d. one object changed: exactly one GET, new revision and digest", async (t) => {
    await gcs.putObjects(bucket, [[changedKey, "id: 0\nchanged: true\n"]]);
    const before = status.artifact;
    const sent = requestPaths.length;
    const result = await env.sync(spec, status);
    t.diagnostic(`one changed: ${JSON.stringify(result.stats)}`);
    // The download is conditional on the generation the listing saw (GCS answers 412 if it changed since;
    // fake-gcs-server ignores the parameter, so only the request is checked here).
    const downloads = requestPaths.slice(sent).filter((p) => p.includes("alt=media"));
    assert.equal(downloads.length, 1, downloads.join("\n"));
    assert.match(downloads[0] ?? "", /[?&]ifGenerationMatch=\d+(&|$)/);
    assert.equal(result.outcome, "stored");
    const artifact = assertReady(result);
    assert.equal(result.stats.getRequests, 1);
    assert.equal(result.stats.downloaded, 1);
    assert.equal(result.stats.cacheHits, 1249);
    assert.notEqual(artifact.revision, before?.revision);
    assert.notEqual(artifact.digest, before?.digest);
    assertSameFiles(await artifactFiles(env, artifact), { ...files, [changedKey]: "id: 0\nchanged: true\n" });
    status = result.status;
  });

  await t.test("e. one object deleted: gone from the artifact, nothing downloaded", async (t) => {
    const deletedKey = `${prefix}team-1/cfg-0001.yaml`;
    await gcs.deleteObject(bucket, deletedKey);
    const result = await env.sync(spec, status);
    t.diagnostic(`one deleted: ${JSON.stringify(result.stats)}`);
    assert.equal(result.outcome, "stored");
    const artifact = assertReady(result);
    assert.equal(result.stats.objects, 1249);
    assert.equal(result.stats.getRequests, 0);
    const contents = await artifactFiles(env, artifact);
    assert.equal(contents.has(deletedKey), false);
    const expected = { ...files, [changedKey]: "id: 0\nchanged: true\n" };
    Reflect.deleteProperty(expected, deletedKey);
    assertSameFiles(contents, expected);
    status = result.status;
  });
});

// ---------------------------------------------------------------------------------------------------------------
// (f) .sourceignore and spec.ignore

test("f. .sourceignore (bucket root and prefix folder) and spec.ignore; later rules win", async (t) => {
  const env = await makeEnv(t);
  const bucket = "gcs-ignore";
  await gcs.createBucket(bucket);
  await gcs.putObjects(
    bucket,
    Object.entries({
      ".sourceignore": "# root rules apply even with a prefix\n*.md\nsecret-*.yaml\n",
      "app/.sourceignore": "drafts/\n",
      "app/deploy.yaml": "kind: Deployment\n",
      "app/README.md": "# docs\n",
      "app/secret-db.yaml": "password: no\n",
      "app/secret-keep.yaml": "kept: by spec.ignore\n",
      "app/drafts/wip.yaml": "wip\n",
      "app/tmp/scratch.txt": "scratch\n",
      "other/outside.yaml": "outside the prefix\n",
    }),
  );
  const ignore = "tmp/\n!secret-keep.yaml\n";
  const spec = gcsSpec(bucket, { prefix: "app/", ignore });
  const result = await env.sync(spec, initialStatus());
  t.diagnostic(`ignore: ${JSON.stringify(result.stats)}`);
  const artifact = assertReady(result);
  assertSameFiles(await artifactFiles(env, artifact), {
    "app/.sourceignore": "drafts/\n",
    "app/deploy.yaml": "kind: Deployment\n",
    "app/secret-keep.yaml": "kept: by spec.ignore\n",
  });
  assert.equal(result.status.observedIgnore, ignore);

  const again = await env.sync(spec, result.status);
  assert.equal(again.outcome, "unchanged");
  assert.equal(again.stats.getRequests, 0, "cached .sourceignore files cost no GET");
});

// ---------------------------------------------------------------------------------------------------------------
// (g) a missing bucket

test("g. a bucket that does not exist: Ready=False, BucketOperationFailed, 'bucket does not exist'", async (t) => {
  const env = await makeEnv(t);
  const result = await env.sync(gcsSpec("gcs-no-such-bucket", { prefix: "x/" }), initialStatus());
  const message = assertFailed(result, "BucketOperationFailed");
  t.diagnostic(message);
  assert.match(message, /bucket does not exist/);
  assert.match(message, /gs:\/\/gcs-no-such-bucket/);
  assert.equal(result.status.artifact, undefined);
});

// ---------------------------------------------------------------------------------------------------------------
// (h) Secret errors

test("h. Secret errors name the key or JSON field to fix; no value ever appears", async (t) => {
  const env = await makeEnv(t);
  const bucket = "gcs-secret";
  await gcs.createBucket(bucket);
  await gcs.putObjects(bucket, [["a.yaml", "a: 1\n"]]);
  const spec = gcsSpec(bucket, { secretRef: "gcs-credentials" });
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const keyBody = pem.split("\n")[1] ?? "";
  const email = "leaky-sa@bucketops-test.iam.gserviceaccount.com";

  const cases: { name: string; data: SecretData; expect: RegExp[]; secrets: string[] }[] = [
    {
      name: "no service-account key",
      data: { "service-account.json": serviceAccountJson(), token: "tok-value-1234" },
      expect: [/serviceaccount/, /gcp_credentials/, /keys present: service-account\.json, token/],
      secrets: ["tok-value-1234", "BEGIN PRIVATE KEY"],
    },
    {
      name: "invalid JSON",
      data: { serviceaccount: `{"type": "service_account", "private_key": "${keyBody}"` },
      expect: [/'serviceaccount'/, /not valid JSON/],
      secrets: [keyBody.slice(0, 20), 'service_account"'],
    },
    {
      name: "wrong type",
      data: { gcp_credentials: serviceAccountJson({ type: "authorized_user", client_email: email }) },
      expect: [/'gcp_credentials'/, /'type' must be "service_account"/],
      secrets: ["authorized_user", email],
    },
    {
      name: "missing client_email",
      data: { serviceaccount: serviceAccountJson({ client_email: undefined, private_key: pem }) },
      expect: [/'client_email' is missing/],
      secrets: [keyBody.slice(0, 20)],
    },
    {
      name: "private_key not PEM",
      data: { serviceaccount: serviceAccountJson({ client_email: email, private_key: keyBody }) },
      expect: [/'private_key' must be a PEM private key/],
      secrets: [keyBody.slice(0, 20), email],
    },
  ];
  for (const c of cases) {
    env.secrets.set("gcs-credentials", c.data);
    const result = await env.sync(spec, initialStatus());
    const message = assertFailed(result, "AuthenticationFailed");
    t.diagnostic(`${c.name}: ${message}`);
    assert.match(message, /Secret 'default\/gcs-credentials'/);
    for (const re of c.expect) assert.match(message, re, c.name);
    const everything = JSON.stringify(result);
    for (const value of c.secrets) assert.equal(everything.includes(value), false, `${c.name} leaks a value`);
    assert.equal(result.stats.listRequests, 0, "nothing is sent with bad credentials");
  }
});

// ---------------------------------------------------------------------------------------------------------------
// (i) the same files from fake-gcs-server and from MinIO: the same artifact digest

test("i. the same files served by fake-gcs-server and by MinIO give the same artifact digest", async (t) => {
  const env = await makeEnv(t);
  const content: Record<string, string> = {
    "z.yaml": "z\n",
    "a/b/c.yaml": "c\n",
    "a/a.yaml": "a\n",
    "ü/ñ.yaml": "unicode\n",
    "empty.yaml": "",
  };
  for (let i = 0; i < 50; i++) content[`many/f-${i}.yaml`] = `n: ${i}\n`;
  await gcs.createBucket("gcs-same");
  await gcs.putObjects("gcs-same", Object.entries(content));
  await minio.createBucket("minio-same");
  await minio.putObjects("minio-same", Object.entries(content));
  env.secrets.set("minio", { accesskey: minio.accessKey, secretkey: minio.secretKey });

  const fromGcs = await env.sync(gcsSpec("gcs-same"), initialStatus(), { namespace: NAMESPACE, name: "gcs" });
  const fromMinio = await env.sync(
    {
      provider: "generic",
      bucketName: "minio-same",
      endpoint: minio.endpoint,
      insecure: true,
      interval: "5m0s",
      secretRef: { name: "minio" },
    },
    initialStatus(),
    { namespace: NAMESPACE, name: "minio" },
  );
  const a = assertReady(fromGcs);
  const b = assertReady(fromMinio);
  t.diagnostic(`gcs ${a.revision} ${a.digest}; minio ${b.revision} ${b.digest}`);
  // Revisions hash key → etag lines, and the two servers' etags differ; the artifacts' bytes do not.
  assert.notEqual(a.revision, b.revision);
  assert.equal(a.digest, b.digest);
  assert.deepEqual(await readFile(env.store.absolute(a.path)), await readFile(env.store.absolute(b.path)));
  assertSameFiles(await artifactFiles(env, a), content);
});

// ---------------------------------------------------------------------------------------------------------------
// TLS through the provider's own agent: certSecretRef's CA is what verifies an https endpoint

/** The certificate the https listener presents (Go's self-signed test certificate for 127.0.0.1), as PEM. */
function serverCertificate(hostPort: string): Promise<string> {
  const [host, port] = hostPort.split(":");
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: Number(port), rejectUnauthorized: false }, () => {
      const der = socket.getPeerCertificate().raw;
      socket.end();
      const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n");
      resolve(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
    });
    socket.once("error", reject);
  });
}

test("an https endpoint is verified with certSecretRef's ca.crt, and refused without it", async (t) => {
  const env = await makeEnv(t);
  const bucket = "gcs-tls";
  await gcs.createBucket(bucket);
  await gcs.putObjects(bucket, [["tls.yaml", "over: tls\n"]]);
  const httpsHostPort = gcs.httpsHostPort ?? assert.fail("fake-gcs-server was started with https");
  const spec = { ...gcsSpec(bucket), endpoint: httpsHostPort, insecure: false };

  const refused = await env.sync(spec, initialStatus());
  const message = assertFailed(refused, "BucketOperationFailed");
  t.diagnostic(`without ca.crt: ${message}`);
  assert.match(message, /certificate/i);

  env.secrets.set("gcs-ca", { "ca.crt": await serverCertificate(httpsHostPort) });
  const trusted = await env.sync({ ...spec, certSecretRef: { name: "gcs-ca" } }, refused.status);
  assertSameFiles(await artifactFiles(env, assertReady(trusted)), { "tls.yaml": "over: tls\n" });
});

// ---------------------------------------------------------------------------------------------------------------

test("no traffic left loopback: no metadata server, no oauth2.googleapis.com", () => {
  const others = [...contacted].filter((h) => !["127.0.0.1", "::1", "localhost"].includes(h));
  assert.ok(contacted.has("127.0.0.1"), "the recorder saw the tests' own traffic");
  assert.deepEqual(others, [], `hosts contacted: ${[...contacted].join(", ")}`);
});
