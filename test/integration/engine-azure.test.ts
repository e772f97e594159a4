// Engine-level integration tests of the Azure Blob provider: reconcile() against a real Azurite on 127.0.0.1:
// container SAS Secrets, Secret errors, HTTPS and a proxy. What every provider shares (incremental sync with an
// account key, ignore rules, missing container, wrong credentials, same digest as MinIO and fake-gcs-server) is one
// table over the three servers: test/integration/provider-matrix.test.ts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { findCondition } from "../../src/api/status.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { assertFailed, assertReady, brief } from "../support/engine-assert.js";
import { engineEnv } from "../support/engine-env.js";
import { selfSignedCert } from "../support/tls.js";
import { startProxy } from "../support/proxy.js";
import { freePort } from "../support/ports.js";
import { removeDir } from "../support/temp.js";

let azurite: AzuriteServer;

before(async () => {
  azurite = await startAzurite();
});

after(async () => {
  await azurite?.stop();
});

type CredentialKind = "accountKey" | "sasKey";
const KINDS: CredentialKind[] = ["accountKey", "sasKey"];

/** The Secret for one credential kind; a SAS is scoped to its container, as users would make it. */
function secretFor(kind: CredentialKind, container: string): SecretData {
  return kind === "accountKey"
    ? { accountKey: azurite.accountKey }
    : { sasKey: azurite.containerSas(container) };
}

/** The long form of a Bucket spec for an Azurite container (a url cannot name a non-Azure host). */
function azureSpec(
  container: string,
  extra: { prefix?: string; secret?: string; endpoint?: string } = {},
): Record<string, unknown> {
  return {
    provider: "azure",
    bucketName: container,
    endpoint: extra.endpoint ?? azurite.endpoint,
    prefix: extra.prefix ?? "",
    interval: "5m",
    secretRef: { name: extra.secret ?? "creds" },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A container SAS: the matrix (provider-matrix.test.ts) runs the Azure row with an account key

test("a container SAS pages, syncs incrementally and fails like the account key; a forged SAS is refused", async (t) => {
  const env = await engineEnv(t);
  const container = "engine-sas";
  await azurite.createContainer(container);
  const files: [string, string][] = [];
  for (let i = 0; i < 1050; i++) files.push([`apps/cfg-${String(i).padStart(4, "0")}.yaml`, `id: ${i}\n`]);
  await azurite.putObjects(container, files);
  for (const kind of KINDS) env.secrets.set(kind, secretFor(kind, container));
  const spec = (secret: CredentialKind): Record<string, unknown> =>
    azureSpec(container, { prefix: "apps/", secret });

  const byKey = assertReady(await env.sync(spec("accountKey"), undefined, "by-key"));
  const first = await env.sync(spec("sasKey"), undefined, "by-sas");
  t.diagnostic(`SAS first sync: ${brief(first)}`);
  assert.equal(first.outcome, "stored", first.error?.message);
  // 2 List Blobs pages (the continuation carries the SAS too), plus one listing for the root .sourceignore.
  assert.equal(first.stats.listRequests, 3);
  assert.equal(first.stats.getRequests, 1050);
  const artifact = assertReady(first);
  assert.equal(artifact.digest, byKey.digest, "the same artifact as with the account key");

  const unchanged = await env.sync(spec("sasKey"), first.status, "by-sas");
  t.diagnostic(`SAS unchanged: ${brief(unchanged)}`);
  assert.equal(unchanged.outcome, "unchanged");
  assert.equal(unchanged.stats.getRequests, 0);

  await azurite.putObjects(container, [["apps/cfg-0000.yaml", "id: 0\nchanged: true\n"]]);
  const changed = await env.sync(spec("sasKey"), unchanged.status, "by-sas");
  t.diagnostic(`SAS one changed: ${brief(changed)}`);
  assert.equal(changed.outcome, "stored");
  assert.equal(changed.stats.getRequests, 1);
  assert.equal(changed.stats.cacheHits, 1049);
  const current = assertReady(changed);
  assert.notEqual(current.revision, artifact.revision);

  // A forged signature: Azurite refuses it, and the last good artifact keeps serving.
  const goodSas = env.secrets.get("sasKey") ?? assert.fail("the sasKey Secret");
  const forgedSig = "Zm9yZ2VkLXNpZ25hdHVyZQ==";
  const forged = (goodSas.sasKey ?? "").replace(/sig=[^&]+/, `sig=${encodeURIComponent(forgedSig)}`);
  env.secrets.set("sasKey", { sasKey: forged });
  const failed = await env.sync(spec("sasKey"), changed.status, "by-sas");
  const message = assertFailed(failed, "AuthenticationFailed");
  t.diagnostic(`forged SAS: ${message}`);
  assert.equal(failed.stats.listRequests, 1, "refused by the server");
  assert.deepEqual(failed.status.artifact, current);
  assert.equal(await env.store.exists(current), true);
  assert.equal(findCondition(failed.status, "ArtifactInStorage")?.status, "True");
  assert.equal(
    JSON.stringify(failed).includes(forgedSig.replace(/=+$/, "")),
    false,
    "the forged SAS never appears",
  );

  env.secrets.set("sasKey", goodSas);
  const fixed = await env.sync(spec("sasKey"), failed.status, "by-sas");
  assert.equal(fixed.outcome, "unchanged");
  assert.deepEqual(assertReady(fixed), current);
  assert.equal(fixed.stats.getRequests, 0);

  // A SAS for a container that does not exist.
  env.secrets.set("missing", secretFor("sasKey", "engine-no-such-container"));
  const missing = await env.sync(
    azureSpec("engine-no-such-container", { prefix: "x/", secret: "missing" }),
    undefined,
    "missing",
  );
  const missingMessage = assertFailed(missing, "BucketOperationFailed");
  assert.match(missingMessage, /container does not exist/);
  assert.match(missingMessage, /engine-no-such-container/);
});

// ---------------------------------------------------------------------------------------------------------------
// Secret errors

test("h. Secret errors name the keys to add and the keys present, never a value", async (t) => {
  const env = await engineEnv(t);
  const container = "engine-secret";
  await azurite.createContainer(container);
  await azurite.putObjects(container, [["a.yaml", "a: 1\n"]]);

  const missing = await env.sync(azureSpec(container));
  assert.match(assertFailed(missing, "AuthenticationFailed"), /Secret 'default\/creds' not found/);
  assert.equal(missing.stats.listRequests, 0);

  const cases: [SecretData, RegExp[], string][] = [
    [
      { unrelated: "value-unrelated-7c1" },
      [/accountKey/, /sasKey/, /clientId/, /keys present: unrelated/],
      "value-unrelated-7c1",
    ],
    [
      { clientId: "id", clientSecret: "sp-secret-value-99f" },
      [/tenantId/, /clientSecret/],
      "sp-secret-value-99f",
    ],
    [{ accountKey: "not base64! value-2b8" }, [/accountKey/, /base64/], "value-2b8"],
    [{ sasKey: "sv=2024-01-01&sp=rl&leaked=value-51d" }, [/sasKey/, /sig=/], "value-51d"],
  ];
  for (const [secret, patterns, value] of cases) {
    env.secrets.set("creds", secret);
    const result = await env.sync(azureSpec(container));
    const message = assertFailed(result, "AuthenticationFailed");
    t.diagnostic(message);
    for (const pattern of patterns) assert.match(message, pattern);
    assert.equal(result.stats.listRequests, 0, "nothing is sent without usable credentials");
    assert.equal(JSON.stringify(result).includes(value), false, `${value} never appears`);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Transport: HTTPS Azurite with a self-signed certificate (certSecretRef) through a CONNECT proxy (proxySecretRef)

test("HTTPS Azurite: certSecretRef's CA is used, and proxySecretRef tunnels every request", async (t) => {
  const tls = await selfSignedCert();
  t.after(() => removeDir(tls.dir));
  const secure = await startAzurite({ tls: { cert: tls.cert, key: tls.key } });
  t.after(() => secure.stop());
  await secure.createContainer("tls-container");
  await secure.putObjects("tls-container", [
    ["app/a.yaml", "a: 1\n"],
    ["app/b.yaml", "b: 2\n"],
  ]);
  // Through the proxy, the endpoint is a port where nothing listens, routed to Azurite by the proxy alone: a
  // request that bypassed the proxy would be refused, so a stored artifact shows that every request went through.
  const unreachable = `127.0.0.1:${await freePort()}`;
  const proxy = await startProxy("u", "proxy-pass-az", { [unreachable]: `127.0.0.1:${secure.port}` });
  t.after(() => proxy.stop());
  const proxied = proxy.seen;
  const proxyUrl = proxy.url;

  const env = await engineEnv(t);
  env.secrets.set("creds", { accountKey: secure.accountKey });
  const spec = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...azureSpec("tls-container", { prefix: "app/", endpoint: secure.endpoint }),
    ...extra,
  });

  const untrusted = await env.sync(spec());
  const message = assertFailed(untrusted, "BucketOperationFailed");
  t.diagnostic(`no CA: ${message}`);
  assert.match(message, /TLS certificate of https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 is not trusted/);

  env.secrets.set("ca", { "ca.crt": tls.cert });
  const trusted = await env.sync(spec({ certSecretRef: { name: "ca" } }), untrusted.status);
  assert.equal(trusted.outcome, "stored", trusted.error?.message);
  assert.equal(trusted.stats.getRequests, 2);

  const unreachableEndpoint = `https://${unreachable}/${secure.accountName}`;
  const direct = await env.sync(
    {
      ...azureSpec("tls-container", { prefix: "app/", endpoint: unreachableEndpoint }),
      certSecretRef: { name: "ca" },
    },
    undefined,
    "direct",
  );
  assert.equal(direct.outcome, "failed", "without the proxy the endpoint cannot be reached");
  env.secrets.set("proxy", { address: proxyUrl, username: "u", password: "proxy-pass-az" });
  const viaProxy = await env.sync(
    {
      ...azureSpec("tls-container", { prefix: "app/", endpoint: unreachableEndpoint }),
      certSecretRef: { name: "ca" },
      proxySecretRef: { name: "proxy" },
    },
    undefined,
    "via-proxy",
  );
  assert.equal(viaProxy.outcome, "stored", viaProxy.error?.message);
  assert.equal(viaProxy.stats.getRequests, 2);
  assert.ok(proxied.length > 0, "the proxy was used");
  assert.deepEqual(
    proxied.filter((line) => line !== `CONNECT ${unreachable}`),
    [],
    `the proxy saw only CONNECT ${unreachable}`,
  );
  assert.equal(assertReady(viaProxy).digest, assertReady(trusted).digest);
  assert.equal(JSON.stringify(viaProxy).includes("proxy-pass-az"), false);
});
