// "no credentials found" only when a Bucket names no Secret or STS and its provider's default chain has nothing here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { normalizeSpec } from "../../src/api/normalize.js";
import { localCredentialSources, type ChainEnvironment } from "../../src/credentials/default-chain.js";
import { noCredentialsMessage } from "../../src/cli/no-credentials.js";

const empty: ChainEnvironment = { env: {}, home: "/nonexistent-home", exists: () => false };

void test("an empty environment has no local credential source for any cloud provider", () => {
  for (const provider of ["aws", "generic", "gcp", "azure"] as const)
    assert.deepEqual(localCredentialSources(provider, empty), [], provider);
});

void test("AWS env keys, AWS_PROFILE or ~/.aws/credentials count as configured sources", () => {
  assert.deepEqual(localCredentialSources("aws", { ...empty, env: { AWS_ACCESS_KEY_ID: "AKIA" } }), [
    "AWS_ACCESS_KEY_ID",
  ]);
  assert.deepEqual(localCredentialSources("generic", { ...empty, env: { AWS_PROFILE: "dev" } }), [
    "AWS_PROFILE",
  ]);
  const withFile = { ...empty, home: "/h", exists: (f: string) => f === "/h/.aws/credentials" };
  assert.deepEqual(localCredentialSources("aws", withFile), ["/h/.aws/credentials"]);
  assert.deepEqual(
    localCredentialSources("gcp", { ...empty, env: { GOOGLE_APPLICATION_CREDENTIALS: "/k.json" } }),
    ["GOOGLE_APPLICATION_CREDENTIALS"],
  );
});

void test("noCredentialsMessage names secretRef, the provider's env vars and --credentials-file", () => {
  const s3 = normalizeSpec({ url: "s3://b/p", interval: "1m" });
  assert.match(
    noCredentialsMessage(s3, empty) ?? "",
    /^no credentials found: set secretRef, AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY, or --credentials-file/,
  );
  const gcs = normalizeSpec({ url: "gs://b/p", interval: "1m" });
  assert.match(
    noCredentialsMessage(gcs, empty) ?? "",
    /set secretRef, GOOGLE_APPLICATION_CREDENTIALS, or --credentials-file/,
  );
  const azure = normalizeSpec({
    provider: "azure",
    bucketName: "c",
    endpoint: "https://acct.blob.core.windows.net",
    interval: "1m",
  });
  assert.match(
    noCredentialsMessage(azure, empty) ?? "",
    /AZURE_TENANT_ID\/AZURE_CLIENT_ID\/AZURE_CLIENT_SECRET/,
  );
});

void test("noCredentialsMessage stays silent with a secretRef, an STS setup or a configured chain", () => {
  const withSecret = normalizeSpec({ url: "s3://b/p", interval: "1m", secretRef: { name: "s" } });
  assert.equal(noCredentialsMessage(withSecret, empty), undefined);
  const withSts = normalizeSpec({
    url: "s3://b/p",
    interval: "1m",
    sts: { provider: "aws", endpoint: "https://sts" },
  });
  assert.equal(noCredentialsMessage(withSts, empty), undefined);
  const plain = normalizeSpec({ url: "s3://b/p", interval: "1m" });
  assert.equal(noCredentialsMessage(plain, { ...empty, env: { AWS_ACCESS_KEY_ID: "AKIA" } }), undefined);
});
