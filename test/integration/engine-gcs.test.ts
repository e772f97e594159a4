// Engine-level integration tests of the GCS provider: reconcile() against a real fake-gcs-server on 127.0.0.1,
// through @google-cloud/storage's JSON API. No mock of the server, and no traffic beyond loopback (checked below).
// What every provider shares (incremental sync, ignore rules, missing bucket, wrong credentials, same digest) is
// one table over MinIO, fake-gcs-server and Azurite: test/integration/provider-matrix.test.ts.
import { generateKeyPairSync } from "node:crypto";
import { connect as tlsConnect } from "node:tls";
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { SecretData } from "../../src/credentials/secret.js";
import {
  artifactFiles,
  assertFailed,
  assertReady,
  assertSameFiles,
  brief,
  sha256File,
} from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { serviceAccountJson } from "../support/gcp-key.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { recordTraffic, type TrafficRecorder } from "../support/traffic.js";

// ---------------------------------------------------------------------------------------------------------------
// The server, and a record of every host this process talks to

let gcs: FakeGcsServer;
let traffic: TrafficRecorder;

before(async () => {
  traffic = recordTraffic();
  gcs = await startFakeGcs({ https: true });
});

after(async () => {
  await gcs?.stop();
  traffic.stop();
});

/** Flux's long form of a GCS Bucket pointing at the emulator (no secretRef: emulators take no credentials). */
function gcsSpec(
  bucketName: string,
  extra: { prefix?: string; secretRef?: string } = {},
): Record<string, unknown> {
  return {
    provider: "gcp",
    bucketName,
    endpoint: gcs.hostPort,
    insecure: true,
    prefix: extra.prefix ?? "",
    interval: "5m0s",
    ...(extra.secretRef === undefined ? {} : { secretRef: { name: extra.secretRef } }),
  };
}

/** engineEnv with a "gcs-credentials" Secret holding a valid (never used) service-account key. */
async function makeEnv(t: TestContext): Promise<EngineEnv> {
  const env = await engineEnv(t);
  env.secrets.set("gcs-credentials", { gcp_credentials: serviceAccountJson() });
  return env;
}

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
  const viaUrl = await env.sync(urlSpec, undefined, "via-url");
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

  const viaLong = await env.sync(gcsSpec(bucket, { prefix: "path/to/manifests" }), undefined, "via-long");
  const long = assertReady(viaLong);
  assert.equal(long.digest, artifact.digest);
  assert.equal(long.revision, artifact.revision);
});

// ---------------------------------------------------------------------------------------------------------------
// A download is conditional on the generation the listing saw

test("a changed object is downloaded with ifGenerationMatch set to the listed generation", async (t) => {
  const env = await makeEnv(t);
  const bucket = "gcs-generation";
  await gcs.createBucket(bucket);
  await gcs.putObjects(bucket, [
    ["app/a.yaml", "a: 1\n"],
    ["app/b.yaml", "b: 1\n"],
  ]);
  const spec = gcsSpec(bucket, { prefix: "app/" });
  const first = await env.sync(spec);
  assertReady(first);

  await gcs.putObjects(bucket, [["app/a.yaml", "a: 2\n"]]);
  const sent = traffic.requestPaths.length;
  const result = await env.sync(spec, first.status);
  t.diagnostic(`one changed: ${brief(result)}`);
  // GCS answers 412 if the object changed since it was listed; fake-gcs-server ignores the parameter, so only the
  // request is checked here.
  const downloads = traffic.requestPaths.slice(sent).filter((p) => p.includes("alt=media"));
  assert.equal(downloads.length, 1, downloads.join("\n"));
  assert.match(downloads[0] ?? "", /^\/storage\/v1\/b\/gcs-generation\/o\/app%2Fa\.yaml\?/);
  assert.match(downloads[0] ?? "", /[?&]ifGenerationMatch=\d+(&|$)/);
  assert.equal(result.stats.getRequests, 1);
  assertSameFiles(await artifactFiles(env, assertReady(result)), {
    "app/a.yaml": "a: 2\n",
    "app/b.yaml": "b: 1\n",
  });
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
    const result = await env.sync(spec);
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

  const refused = await env.sync(spec);
  const message = assertFailed(refused, "BucketOperationFailed");
  t.diagnostic(`without ca.crt: ${message}`);
  assert.match(message, /certificate/i);

  env.secrets.set("gcs-ca", { "ca.crt": await serverCertificate(httpsHostPort) });
  const trusted = await env.sync({ ...spec, certSecretRef: { name: "gcs-ca" } }, refused.status);
  assertSameFiles(await artifactFiles(env, assertReady(trusted)), { "tls.yaml": "over: tls\n" });
});

// ---------------------------------------------------------------------------------------------------------------

test("no traffic left loopback: no metadata server, no oauth2.googleapis.com", async (t) => {
  // A reconcile of its own with a service-account key, so the check does not rely on the tests before it; the
  // recorder also holds whatever they sent.
  const env = await makeEnv(t);
  await gcs.createBucket("gcs-loopback");
  await gcs.putObjects("gcs-loopback", [["a.yaml", "a: 1\n"]]);
  const result = await env.sync(gcsSpec("gcs-loopback", { secretRef: "gcs-credentials" }));
  assert.equal(result.outcome, "stored", result.error?.message);
  traffic.assertLoopbackOnly();
});
