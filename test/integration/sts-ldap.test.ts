// spec.sts against real servers on 127.0.0.1: OpenLDAP's slapd (Debian package) as the directory, MinIO with
// MINIO_IDENTITY_LDAP_* as the STS (AssumeRoleWithLDAPIdentity) and the bucket; MinIO also stands in as the
// STS endpoint of the AWS default chain (AssumeRoleWithWebIdentity), to show where the chain sends its call.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { findCondition } from "../../src/api/status.js";
import { LdapStsCache, ldapStsCache, ldapStsCredentialProvider } from "../../src/credentials/sts-ldap.js";
import { engineEnv } from "../support/engine-env.js";
import { startLdap, type LdapServer } from "../support/ldap.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { addCannedPolicy, attachLdapUserPolicy, readBucketPolicy } from "../support/minio-admin.js";
import { selfSignedCert, type SelfSigned } from "../support/tls.js";
import { makeTempDir, removeDir } from "../support/temp.js";

let ldap: LdapServer;
let minio: MinioServer;
let tls: SelfSigned;
let tlsMinio: MinioServer;
const WRONG_PASSWORD = "not-the-ldap-password-8b2f";

before(async () => {
  ldap = await startLdap();
  tls = await selfSignedCert();
  [minio, tlsMinio] = await Promise.all([
    startMinio({ env: ldap.minioEnv() }),
    startMinio({ env: ldap.minioEnv(), certsDir: tls.dir, ca: tls.cert }),
  ]);
  for (const [server, ca] of [
    [minio, undefined],
    [tlsMinio, tls.cert],
  ] as const) {
    await server.createBucket("ldap-bucket");
    await server.createBucket("other-bucket");
    await server.putObjects("ldap-bucket", [
      ["app/a.yaml", "a: 1\n"],
      ["app/b.yaml", "b: 2\n"],
      ["app/sub/c.yaml", "c: 3\n"],
    ]);
    await server.putObjects("other-bucket", [["x.yaml", "x: 1\n"]]);
    // The LDAP user may list and read ldap-bucket only, so a success proves the LDAP identity was used.
    await addCannedPolicy(server, "flux-read", readBucketPolicy("ldap-bucket"), { ca });
    await attachLdapUserPolicy(server, "flux-read", ldap.user.dn, { ca });
  }
});

after(async () => {
  await Promise.all([minio?.stop(), tlsMinio?.stop()]);
  await ldap?.stop();
  if (tls) await removeDir(tls.dir);
});

const ldapSpec = (extra: Record<string, unknown> = {}, sts: Record<string, unknown> = {}) => ({
  provider: "generic",
  bucketName: "ldap-bucket",
  endpoint: minio.endpoint,
  insecure: true,
  prefix: "app/",
  interval: "5m",
  sts: { provider: "ldap", endpoint: minio.url, secretRef: { name: "ldap-creds" }, ...sts },
  ...extra,
});

test("sts ldap: a Bucket logs in over LDAP and fetches with the temporary credentials, cached", async (t) => {
  const env = await engineEnv(t);
  env.secrets.set("ldap-creds", { username: ldap.user.uid, password: ldap.user.password });
  const before = ldapStsCache.requests;
  const first = await env.sync(ldapSpec());
  assert.equal(first.outcome, "stored", first.error?.message);
  assert.equal(first.stats.downloaded, 3);
  assert.equal(findCondition(first.status, "Ready")?.status, "True");
  assert.equal(ldapStsCache.requests - before, 1, "one STS call");

  // Cached: the next reconciles reuse the credentials (no STS call) until they near expiry.
  const second = await env.sync(ldapSpec({ ignore: "sub/" }), first.status);
  assert.equal(second.outcome, "stored", second.error?.message);
  assert.equal(findCondition(second.status, "Ready")?.status, "True");
  assert.equal(ldapStsCache.requests - before, 1, "no second STS call while the credentials are fresh");

  // The credentials are the LDAP user's (policy flux-read), not the root user's: other buckets are denied.
  const other = await env.sync(ldapSpec({ bucketName: "other-bucket", prefix: "" }));
  assert.equal(other.outcome, "failed");
  assert.equal(findCondition(other.status, "Ready")?.reason, "AuthenticationFailed");
  assert.match(findCondition(other.status, "Ready")?.message ?? "", /AccessDenied/);
});

test("sts ldap: a wrong LDAP password is AuthenticationFailed naming the endpoint and MinIO's code, never the password", async (t) => {
  const env = await engineEnv(t);
  env.secrets.set("ldap-creds", { username: ldap.user.uid, password: WRONG_PASSWORD });
  const result = await env.sync(ldapSpec());
  assert.equal(result.outcome, "failed");
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready?.reason, "AuthenticationFailed");
  assert.equal(findCondition(result.status, "FetchFailed")?.reason, "AuthenticationFailed");
  const message = ready?.message ?? "";
  assert.ok(
    message.includes(`STS AssumeRoleWithLDAPIdentity at ${minio.url} failed for LDAP user 'flux'`),
    message,
  );
  assert.match(
    message,
    /InvalidParameterValue: LDAP server error: .*LDAP Result Code 49 "Invalid Credentials"/,
  );
  assert.match(message, /\(HTTP 400\)/);
  assert.ok(!message.includes(WRONG_PASSWORD));
  assert.ok(!JSON.stringify(result).includes(WRONG_PASSWORD));
  assert.ok(!JSON.stringify(result.events).includes(WRONG_PASSWORD));

  // An unknown user is refused the same way.
  env.secrets.set("ldap-creds", { username: "nobody", password: WRONG_PASSWORD });
  const unknown = await env.sync(ldapSpec());
  assert.equal(findCondition(unknown.status, "Ready")?.reason, "AuthenticationFailed");
  assert.match(
    findCondition(unknown.status, "Ready")?.message ?? "",
    /LDAP user 'nobody': InvalidParameterValue/,
  );
});

test("sts ldap: missing sts.secretRef, missing keys and a non-URL endpoint are reported without an STS call", async (t) => {
  const env = await engineEnv(t);
  const before = ldapStsCache.requests;
  const noRef = await env.sync(ldapSpec({}, { secretRef: undefined }));
  assert.equal(findCondition(noRef.status, "Ready")?.reason, "AuthenticationFailed");
  assert.match(
    findCondition(noRef.status, "Ready")?.message ?? "",
    /spec\.sts\.secretRef: the ldap STS provider needs a Secret with the keys username and password/,
  );

  env.secrets.set("ldap-creds", { username: "flux", pass: "x" });
  const noPassword = await env.sync(ldapSpec());
  assert.equal(findCondition(noPassword.status, "Ready")?.reason, "AuthenticationFailed");
  assert.match(
    findCondition(noPassword.status, "Ready")?.message ?? "",
    /Secret 'default\/ldap-creds' \(spec\.sts\.secretRef\) lacks password for the ldap STS provider \(keys present: pass, username\)/,
  );

  env.secrets.set("ldap-creds", { username: ldap.user.uid, password: ldap.user.password });
  const badUrl = await env.sync(ldapSpec({}, { endpoint: minio.endpoint }));
  assert.equal(badUrl.outcome, "stalled");
  assert.equal(findCondition(badUrl.status, "Stalled")?.reason, "URLInvalid");
  assert.match(
    findCondition(badUrl.status, "Ready")?.message ?? "",
    /spec\.sts\.endpoint: ".*" must be an http/,
  );
  assert.equal(ldapStsCache.requests, before);
});

test("sts ldap: spec.secretRef wins over sts, as in Flux (no STS call)", async (t) => {
  const env = await engineEnv(t);
  env.secrets.set("ldap-creds", { username: ldap.user.uid, password: WRONG_PASSWORD });
  env.secrets.set("static", { accesskey: minio.accessKey, secretkey: minio.secretKey });
  const before = ldapStsCache.requests;
  const result = await env.sync(ldapSpec({ secretRef: { name: "static" } }));
  assert.equal(result.outcome, "stored", result.error?.message);
  assert.equal(ldapStsCache.requests, before);
});

test("sts ldap: credentials are refreshed once the last part of their lifetime starts", async () => {
  let clock = Date.now();
  const cache = new LdapStsCache(() => clock);
  const req = {
    endpoint: minio.url,
    username: ldap.user.uid,
    password: ldap.user.password,
    transport: {},
    durationSeconds: 900, // MinIO's minimum: 15 minutes → refreshed after 10 (5 minutes before expiry)
  };
  const provider = await ldapStsCredentialProvider("default", req, cache);
  const first = await provider();
  assert.equal(cache.requests, 1);
  assert.ok(first.sessionToken);
  const lifetime = (first.expiration?.getTime() ?? 0) - Date.now();
  assert.ok(lifetime > 14 * 60_000 && lifetime <= 15 * 60_000 + 1000, `lifetime ${lifetime} ms`);

  clock += 9 * 60_000;
  const still = await provider();
  assert.equal(cache.requests, 1);
  assert.equal(still.accessKeyId, first.accessKeyId);

  clock += 61_000 + 1000;
  const renewed = await provider();
  assert.equal(cache.requests, 2);
  assert.notEqual(renewed.accessKeyId, first.accessKeyId);

  // Concurrent callers share one call; another namespace has its own entry.
  clock += 11 * 60_000;
  await Promise.all([provider(), provider(), provider()]);
  assert.equal(cache.requests, 3);
  await cache.get("elsewhere", req);
  assert.equal(cache.requests, 4);
});

test("sts ldap over TLS: sts.certSecretRef trusts the STS endpoint's CA (spec.certSecretRef is for S3 only)", async (t) => {
  const env = await engineEnv(t);
  env.secrets.set("ldap-creds", { username: ldap.user.uid, password: ldap.user.password });
  env.secrets.set("ca", { "ca.crt": tls.cert });
  const spec = (sts: Record<string, unknown>) =>
    ldapSpec(
      { endpoint: tlsMinio.endpoint, insecure: false, certSecretRef: { name: "ca" } },
      { endpoint: tlsMinio.url, ...sts },
    );
  const untrusted = await env.sync(spec({}));
  assert.equal(untrusted.outcome, "failed");
  assert.equal(findCondition(untrusted.status, "Ready")?.reason, "AuthenticationFailed");
  assert.match(
    findCondition(untrusted.status, "Ready")?.message ?? "",
    /the TLS certificate of 127\.0\.0\.1:\d+ is not trusted \(\w+\); set spec\.sts\.certSecretRef/,
  );

  const trusted = await env.sync(spec({ certSecretRef: { name: "ca" } }), untrusted.status);
  assert.equal(trusted.outcome, "stored", trusted.error?.message);
  assert.equal(trusted.stats.downloaded, 3);
  assert.equal(findCondition(trusted.status, "Ready")?.status, "True");
});

test("sts aws: the default chain sends AssumeRoleWithWebIdentity to spec.sts.endpoint", async (t) => {
  // Web identity (IRSA) settings as EKS injects them; every other source of the chain is switched off so
  // nothing but the STS endpoint (MinIO on 127.0.0.1) is contacted.
  const dir = await makeTempDir("webid");
  const tokenFile = path.join(dir, "token");
  await writeFile(tokenFile, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln");
  const saved = { ...process.env };
  for (const key of Object.keys(process.env))
    if (key.startsWith("AWS_")) Reflect.deleteProperty(process.env, key);
  Object.assign(process.env, {
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/flux-source",
    AWS_ROLE_SESSION_NAME: "bucketops-test",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: path.join(dir, "config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
  });
  t.after(async () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) Reflect.deleteProperty(process.env, key);
    Object.assign(process.env, saved);
    await removeDir(dir);
  });
  const env = await engineEnv(t);
  const result = await env.sync({
    provider: "aws",
    bucketName: "ldap-bucket",
    endpoint: minio.endpoint,
    insecure: true,
    interval: "5m",
    sts: { provider: "aws", endpoint: minio.url },
  });
  assert.equal(result.outcome, "failed");
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.reason, "AuthenticationFailed");
  // MinIO answered the chain's AssumeRoleWithWebIdentity (it knows no such role: it has no OpenID provider).
  assert.ok(
    (ready?.message ?? "").includes(
      `AWS credentials from the default chain with STS endpoint ${minio.url} failed`,
    ),
    ready?.message,
  );
  assert.match(ready?.message ?? "", /InvalidParameterValue: Error processing RoleArn parameter/);
});
