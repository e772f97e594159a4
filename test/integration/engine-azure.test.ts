// Engine-level integration tests of the Azure Blob provider: reconcile() against a real Azurite on 127.0.0.1,
// with account-key and SAS Secrets; the same content from Azurite and a real MinIO gives the same artifact.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { createProxy } from "proxy";
import { findCondition, type Artifact, type BucketStatus } from "../../src/api/status.js";
import { extractTarGz } from "../../src/artifact/extract.js";
import type { SecretData } from "../../src/credentials/secret.js";
import type { ReconcileResult } from "../../src/engine/reconcile.js";
import { startAzurite, type AzuriteServer } from "../support/azurite.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";
import { startMinio } from "../support/minio.js";
import { selfSignedCert } from "../support/tls.js";

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
  extra: { prefix?: string; ignore?: string; secret?: string; endpoint?: string } = {},
): Record<string, unknown> {
  return {
    provider: "azure",
    bucketName: container,
    endpoint: extra.endpoint ?? azurite.endpoint,
    prefix: extra.prefix ?? "",
    interval: "5m",
    secretRef: { name: extra.secret ?? "creds" },
    ...(extra.ignore === undefined ? {} : { ignore: extra.ignore }),
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

async function artifactFiles(env: EngineEnv, artifact: Artifact): Promise<Map<string, string>> {
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
const brief = (r: ReconcileResult): string => {
  const s = r.stats;
  return `${r.outcome}: objects=${s.objects} list=${s.listRequests} get=${s.getRequests} cacheHits=${s.cacheHits} in ${seconds(s.durationMs)}`;
};

// ---------------------------------------------------------------------------------------------------------------
// a-d: a paginated first sync, unchanged, one changed, one deleted; account key and SAS on one container

test("incremental sync of a 1,250-blob prefix with an account key and with a SAS", async (t) => {
  const env = await engineEnv(t);
  const container = "engine-big";
  await azurite.createContainer(container);
  const files: Record<string, string> = {};
  for (let i = 0; i < 1250; i++) {
    files[`apps/team-${i % 5}/svc-${i % 25}/cfg-${String(i).padStart(4, "0")}.yaml`] = `id: ${i}\n`;
  }
  const t0 = Date.now();
  await azurite.putObjects(container, [
    ...Object.entries(files),
    ["other/outside-prefix.yaml", "not published\n"],
    ["apps-old/also-outside.yaml", "x\n"],
  ]);
  t.diagnostic(`uploaded 1,252 blobs to Azurite in ${seconds(Date.now() - t0)}`);
  for (const kind of KINDS) env.secrets.set(kind, secretFor(kind, container));
  const spec = (kind: CredentialKind): Record<string, unknown> =>
    azureSpec(container, { prefix: "apps/", secret: kind });
  const status = new Map<CredentialKind, BucketStatus | undefined>();
  const digests = new Map<CredentialKind, string>();

  await t.test("a. first sync: paginated listing, every blob downloaded, contents equal", async (t) => {
    for (const kind of KINDS) {
      const result = await env.sync(spec(kind), undefined, kind.toLowerCase());
      t.diagnostic(`${kind} first sync: ${brief(result)}`);
      assert.equal(result.outcome, "stored", result.error?.message);
      const artifact = assertReady(result);
      // 1,250 blobs under apps/ at 1,000 a page: 2 List Blobs pages, plus one listing for the root .sourceignore.
      assert.equal(result.stats.listRequests, 3, "List Blobs paginated");
      assert.equal(result.stats.objects, 1250);
      assert.equal(result.stats.getRequests, 1250);
      assert.equal(result.stats.downloaded, 1250);
      assert.equal(await sha256File(env.store.absolute(artifact.path)), artifact.digest);
      assertSameFiles(await artifactFiles(env, artifact), files);
      status.set(kind, result.status);
      digests.set(kind, artifact.digest);
    }
    assert.equal(digests.get("accountKey"), digests.get("sasKey"), "same content, same digest");
  });

  await t.test("b. nothing changed: zero GETs", async (t) => {
    for (const kind of KINDS) {
      const result = await env.sync(spec(kind), status.get(kind), kind.toLowerCase());
      t.diagnostic(`${kind} unchanged: ${brief(result)}`);
      assert.equal(result.outcome, "unchanged");
      assert.equal(result.stats.getRequests, 0);
      assert.deepEqual(assertReady(result), status.get(kind)?.artifact);
      status.set(kind, result.status);
    }
  });

  const changedKey = "apps/team-0/svc-0/cfg-0000.yaml";
  await t.test("c. one blob changed: exactly one GET", async (t) => {
    await azurite.putObjects(container, [[changedKey, "id: 0\nchanged: true\n"]]);
    for (const kind of KINDS) {
      const before = status.get(kind)?.artifact;
      const result = await env.sync(spec(kind), status.get(kind), kind.toLowerCase());
      t.diagnostic(`${kind} one changed: ${brief(result)}`);
      assert.equal(result.outcome, "stored");
      const artifact = assertReady(result);
      assert.equal(result.stats.getRequests, 1);
      assert.equal(result.stats.cacheHits, 1249);
      assert.notEqual(artifact.revision, before?.revision);
      assert.notEqual(artifact.digest, before?.digest);
      assertSameFiles(await artifactFiles(env, artifact), {
        ...files,
        [changedKey]: "id: 0\nchanged: true\n",
      });
      status.set(kind, result.status);
    }
  });

  await t.test("d. one blob deleted: gone from the artifact, nothing downloaded", async (t) => {
    const deletedKey = "apps/team-1/svc-1/cfg-0001.yaml";
    await azurite.deleteObject(container, deletedKey);
    const expected: Record<string, string> = { ...files, [changedKey]: "id: 0\nchanged: true\n" };
    delete expected[deletedKey]; // eslint-disable-line @typescript-eslint/no-dynamic-delete
    for (const kind of KINDS) {
      const result = await env.sync(spec(kind), status.get(kind), kind.toLowerCase());
      t.diagnostic(`${kind} one deleted: ${brief(result)}`);
      assert.equal(result.outcome, "stored");
      const artifact = assertReady(result);
      assert.equal(result.stats.objects, 1249);
      assert.equal(result.stats.getRequests, 0);
      assertSameFiles(await artifactFiles(env, artifact), expected);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// e: .sourceignore and spec.ignore

test("e. .sourceignore at the container root and spec.ignore apply; the cached .sourceignore costs no GET", async (t) => {
  const env = await engineEnv(t);
  const container = "engine-ignore";
  await azurite.createContainer(container);
  await azurite.putObjects(container, [
    [".sourceignore", "# root rules apply even with a prefix\n*.md\nsecret-*.yaml\n"],
    ["app/deploy.yaml", "kind: Deployment\n"],
    ["app/README.md", "# docs\n"],
    ["app/secret-db.yaml", "password: no\n"],
    ["app/secret-keep.yaml", "kept: by spec.ignore\n"],
    ["app/tmp/scratch.txt", "scratch\n"],
    ["other/outside.yaml", "outside the prefix\n"],
  ]);
  const ignore = "tmp/\n!secret-keep.yaml\n";
  for (const kind of KINDS) {
    env.secrets.set(kind, secretFor(kind, container));
    const spec = azureSpec(container, { prefix: "app", ignore, secret: kind });
    const result = await env.sync(spec, undefined, `ignore-${kind.toLowerCase()}`);
    t.diagnostic(`${kind}: ${brief(result)}`);
    assertSameFiles(await artifactFiles(env, assertReady(result)), {
      "app/deploy.yaml": "kind: Deployment\n",
      "app/secret-keep.yaml": "kept: by spec.ignore\n",
    });
    assert.equal(result.stats.listed, 5);
    assert.equal(result.stats.ignored, 3);
    assert.equal(result.stats.getRequests, 3, "the root .sourceignore plus the two published files");
    assert.equal(result.status.observedIgnore, ignore);
    const again = await env.sync(spec, result.status, `ignore-${kind.toLowerCase()}`);
    assert.equal(again.outcome, "unchanged");
    assert.equal(again.stats.getRequests, 0);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// f-h: failures

test("f. a container that does not exist: BucketOperationFailed saying so", async (t) => {
  const env = await engineEnv(t);
  for (const kind of KINDS) {
    env.secrets.set("creds", secretFor(kind, "engine-no-such-container"));
    const result = await env.sync(azureSpec("engine-no-such-container", { prefix: "x/" }));
    const message = assertFailed(result, "BucketOperationFailed");
    t.diagnostic(`${kind}: ${message}`);
    assert.match(message, /container does not exist/);
    assert.match(message, /engine-no-such-container/);
    assert.equal(result.status.artifact, undefined);
  }
});

test("g. a wrong account key or a forged SAS: AuthenticationFailed, the previous artifact is kept", async (t) => {
  const env = await engineEnv(t);
  const container = "engine-auth";
  await azurite.createContainer(container);
  await azurite.putObjects(container, [
    ["a.yaml", "a: 1\n"],
    ["b/c.yaml", "c: 2\n"],
  ]);
  const wrongKey = Buffer.from("definitely-not-the-account-key-0123456789").toString("base64");
  const goodSas = azurite.containerSas(container);
  const forgedSas = goodSas.replace(/sig=[^&]+/, `sig=${encodeURIComponent("Zm9yZ2VkLXNpZ25hdHVyZQ==")}`);
  const cases: [CredentialKind, SecretData, SecretData, string][] = [
    ["accountKey", { accountKey: azurite.accountKey }, { accountKey: wrongKey }, wrongKey],
    ["sasKey", { sasKey: goodSas }, { sasKey: forgedSas }, "Zm9yZ2VkLXNpZ25hdHVyZQ"],
  ];
  for (const [kind, good, bad, badValue] of cases) {
    const name = `auth-${kind.toLowerCase()}`;
    env.secrets.set("creds", good);
    const first = await env.sync(azureSpec(container), undefined, name);
    const artifact = assertReady(first);

    env.secrets.set("creds", bad);
    const failed = await env.sync(azureSpec(container), first.status, name);
    const message = assertFailed(failed, "AuthenticationFailed");
    t.diagnostic(`${kind}: ${message}`);
    assert.deepEqual(failed.status.artifact, artifact);
    assert.equal(await env.store.exists(artifact), true);
    assert.equal(findCondition(failed.status, "ArtifactInStorage")?.status, "True");
    assert.equal(JSON.stringify(failed).includes(badValue), false, "the bad credential never appears");

    env.secrets.set("creds", good);
    const fixed = await env.sync(azureSpec(container), failed.status, name);
    assert.equal(fixed.outcome, "unchanged");
    assert.deepEqual(assertReady(fixed), artifact);
    assert.equal(fixed.stats.getRequests, 0);
  }
});

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
// i: the same content from Azurite and from MinIO

test("i. the same content in Azurite and in a real MinIO gives the same artifact digest", async (t) => {
  const env = await engineEnv(t);
  const content: Record<string, string> = {
    "z.yaml": "z\n",
    "a/b/c.yaml": "c\n",
    "a/a.yaml": "a\n",
    "ü/ñ.yaml": "unicode\n",
    "deep/er/and/deeper/file.json": '{"x": 1}\n',
  };
  await azurite.createContainer("engine-same");
  await azurite.putObjects("engine-same", Object.entries(content));
  const minio = await startMinio();
  t.after(() => minio.stop());
  await minio.createBucket("engine-same");
  await minio.putObjects("engine-same", Object.entries(content));

  env.secrets.set("azure", { accountKey: azurite.accountKey });
  env.secrets.set("s3", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  const fromAzure = await env.sync(azureSpec("engine-same", { secret: "azure" }), undefined, "from-azure");
  const fromMinio = await env.sync(
    {
      provider: "generic",
      bucketName: "engine-same",
      endpoint: minio.endpoint,
      insecure: true,
      interval: "5m",
      secretRef: { name: "s3" },
    },
    undefined,
    "from-minio",
  );
  const a = assertReady(fromAzure);
  const m = assertReady(fromMinio);
  t.diagnostic(`azure ${a.digest} (revision ${a.revision}); minio ${m.digest} (revision ${m.revision})`);
  assert.equal(a.digest, m.digest, "byte-identical tar.gz");
  assert.notEqual(a.revision, m.revision, "revisions hash the etags, which differ between servers");
  assert.deepEqual(await readFile(env.store.absolute(a.path)), await readFile(env.store.absolute(m.path)));
  assertSameFiles(await artifactFiles(env, a), content);
});

// ---------------------------------------------------------------------------------------------------------------
// Transport: HTTPS Azurite with a self-signed certificate (certSecretRef) through a CONNECT proxy (proxySecretRef)

test("HTTPS Azurite: certSecretRef's CA is used, and proxySecretRef tunnels every request", async (t) => {
  const tls = await selfSignedCert();
  t.after(() => rm(tls.dir, { recursive: true, force: true }));
  const secure = await startAzurite({ tls: { cert: tls.cert, key: tls.key } });
  t.after(() => secure.stop());
  await secure.createContainer("tls-container");
  await secure.putObjects("tls-container", [
    ["app/a.yaml", "a: 1\n"],
    ["app/b.yaml", "b: 2\n"],
  ]);
  const proxied: string[] = [];
  const server = createProxy(createServer());
  server.authenticate = (req: IncomingMessage): boolean => {
    proxied.push(`${req.method ?? ""} ${req.url ?? ""}`);
    return (
      req.headers["proxy-authorization"] === `Basic ${Buffer.from("u:proxy-pass-az").toString("base64")}`
    );
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  const proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

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

  env.secrets.set("proxy", { address: proxyUrl, username: "u", password: "proxy-pass-az" });
  const viaProxy = await env.sync(
    spec({ certSecretRef: { name: "ca" }, proxySecretRef: { name: "proxy" } }),
    undefined,
    "via-proxy",
  );
  assert.equal(viaProxy.outcome, "stored", viaProxy.error?.message);
  assert.equal(viaProxy.stats.getRequests, 2);
  assert.ok(
    proxied.includes(`CONNECT 127.0.0.1:${secure.port}`),
    `the proxy tunnelled to Azurite; it saw: ${proxied.join(", ")}`,
  );
  assert.equal(assertReady(viaProxy).digest, assertReady(trusted).digest);
  assert.equal(JSON.stringify(viaProxy).includes("proxy-pass-az"), false);
});
