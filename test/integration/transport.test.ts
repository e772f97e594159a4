// TLS (certSecretRef) and proxy (proxySecretRef) against a real MinIO serving a self-signed certificate,
// through a real HTTP CONNECT proxy (the `proxy` package) started by the test.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { findCondition } from "../../src/api/status.js";
import { engineEnv } from "../support/engine-env.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { freePort } from "../support/ports.js";
import { removeDir } from "../support/temp.js";
import { selfSignedCert, type SelfSigned } from "../support/tls.js";
import { startProxy } from "../support/proxy.js";

let tls: SelfSigned;
let minio: MinioServer;
let proxyUrl: string;
const PROXY_USER = "proxy-user";
const PROXY_PASSWORD = "proxy-pass-5f3a";
const stopProxy: (() => Promise<void>)[] = [];

before(async () => {
  tls = await selfSignedCert();
  minio = await startMinio({ certsDir: tls.dir, ca: tls.cert });
  await minio.createBucket("tls-bucket");
  await minio.putObjects("tls-bucket", [
    ["app/a.yaml", "a: 1\n"],
    ["app/b.yaml", "b: 2\n"],
  ]);
  const proxy = await startProxy(PROXY_USER, PROXY_PASSWORD);
  proxyUrl = proxy.url;
  stopProxy.push(() => proxy.stop());
});

after(async () => {
  for (const stop of stopProxy) await stop();
  await minio?.stop();
  if (tls) await removeDir(tls.dir);
});

const spec = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  provider: "generic",
  bucketName: "tls-bucket",
  endpoint: minio.endpoint, // no scheme and insecure unset → https
  interval: "5m",
  secretRef: { name: "creds" },
  ...extra,
});

test("a self-signed endpoint fails with a certificate reason, and certSecretRef with ca.crt fixes it", async (t) => {
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  const untrusted = await env.sync(spec());
  assert.equal(untrusted.outcome, "failed");
  const ready = findCondition(untrusted.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready?.reason, "BucketOperationFailed");
  assert.match(ready?.message ?? "", /TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/);
  assert.match(ready?.message ?? "", /spec\.certSecretRef/);

  env.secrets.set("ca", { "ca.crt": tls.cert });
  const trusted = await env.sync(spec({ certSecretRef: { name: "ca" } }), untrusted.status);
  assert.equal(trusted.outcome, "stored", trusted.error?.message);
  assert.equal(trusted.stats.downloaded, 2);
  assert.equal(findCondition(trusted.status, "Ready")?.status, "True");
});

test("proxySecretRef sends every request through the proxy with its credentials", async (t) => {
  // The endpoint is a port where nothing listens; only the proxy routes it to MinIO. A request that bypassed the
  // proxy would be refused, so a reconcile that stores proves that every request went through it.
  const unreachable = `127.0.0.1:${await freePort()}`;
  const routed = await startProxy(PROXY_USER, PROXY_PASSWORD, { [unreachable]: minio.endpoint });
  t.after(() => routed.stop());
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  env.secrets.set("ca", { "ca.crt": tls.cert });
  env.secrets.set("proxy", { address: routed.url, username: PROXY_USER, password: PROXY_PASSWORD });
  const direct = await env.sync(spec({ endpoint: unreachable, certSecretRef: { name: "ca" } }));
  assert.equal(direct.outcome, "failed", "without the proxy the endpoint cannot be reached");
  assert.equal(routed.seen.length, 0);

  const result = await env.sync(
    spec({ endpoint: unreachable, certSecretRef: { name: "ca" }, proxySecretRef: { name: "proxy" } }),
    undefined,
    "via-proxy",
  );
  assert.equal(result.outcome, "stored", result.error?.message);
  assert.equal(result.stats.downloaded, 2);
  assert.ok(result.stats.listRequests + result.stats.getRequests >= 3, JSON.stringify(result.stats));
  // An https endpoint through an HTTP proxy is tunnelled with CONNECT, and nothing else was asked of the proxy.
  assert.ok(routed.seen.length > 0, "the proxy was used");
  assert.deepEqual(
    routed.seen.filter((line) => line !== `CONNECT ${unreachable}`),
    [],
    `the proxy saw only CONNECT ${unreachable}`,
  );
  assert.ok(
    !JSON.stringify(result).includes(PROXY_PASSWORD),
    "the proxy password never appears in the result",
  );
});

test("a proxy that refuses the credentials fails the reconcile without leaking them", async (t) => {
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  env.secrets.set("ca", { "ca.crt": tls.cert });
  env.secrets.set("proxy", { address: proxyUrl, username: PROXY_USER, password: "wrong-password-91c" });
  const result = await env.sync(spec({ certSecretRef: { name: "ca" }, proxySecretRef: { name: "proxy" } }));
  assert.equal(result.outcome, "failed");
  assert.equal(findCondition(result.status, "Ready")?.status, "False");
  assert.match(
    findCondition(result.status, "Ready")?.message ?? "",
    /proxy refused the tunnel with HTTP 407 \(proxy authentication required/,
  );
  assert.ok(!JSON.stringify(result).includes("wrong-password-91c"));
});

test("a proxySecretRef without an address names the missing key", async (t) => {
  const env = await engineEnv(t);
  env.secrets.set("creds", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  env.secrets.set("proxy", { username: "u" });
  const result = await env.sync(spec({ proxySecretRef: { name: "proxy" } }));
  assert.equal(findCondition(result.status, "Ready")?.reason, "AuthenticationFailed");
  assert.match(
    findCondition(result.status, "Ready")?.message ?? "",
    /Secret 'default\/proxy' lacks the key 'address'/,
  );
});
