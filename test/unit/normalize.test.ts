import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { parseBucketDocument } from "../../src/api/bucket.js";
import { SpecError } from "../../src/api/errors.js";
import { DEFAULT_TIMEOUT_MS, normalizeSpec, type BucketSpec } from "../../src/api/normalize.js";
import { SEED_DOCUMENTS } from "../support/seeds.js";

const BASE_DIR = "/work/config";

/** Parses YAML exactly as a user would write it, then validates each document. */
function loadDocuments(text: string): ReturnType<typeof parseBucketDocument>[] {
  return parseAllDocuments(text).map((doc) => {
    assert.deepEqual(doc.errors, [], "the YAML itself parses");
    return parseBucketDocument(doc.toJS());
  });
}

function loadSpecs(text: string): BucketSpec[] {
  return loadDocuments(text).map((bucket) => normalizeSpec(bucket.spec, BASE_DIR));
}

const SEEDS = SEED_DOCUMENTS;

const LONG_FORMS = `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata:
  name: my-s3-bucket
  namespace: flux-system
spec:
  provider: aws
  bucketName: my-flux-bucket
  endpoint: s3.amazonaws.com
  prefix: path/to/manifests
  interval: 5m0s
  secretRef:
    name: s3-credentials
  suspend: false
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata:
  name: my-gcs-bucket
  namespace: flux-system
spec:
  provider: gcp
  bucketName: my-flux-bucket
  prefix: path/to/manifests
  interval: 5m0s
  secretRef:
    name: gcs-credentials
  suspend: false
`;

void test("the seed documents parse as written", () => {
  const docs = loadDocuments(SEEDS);
  assert.equal(docs.length, 2);
  assert.deepEqual(
    docs.map((d) => [d.apiVersion, d.metadata.namespace, d.metadata.name]),
    [
      ["source.toolkit.fluxcd.io/v1beta2", "flux-system", "my-s3-bucket"],
      ["source.toolkit.fluxcd.io/v1beta2", "flux-system", "my-gcs-bucket"],
    ],
  );
  assert.equal((docs[0]?.spec as { url: string } | undefined)?.url, "s3://my-flux-bucket/path/to/manifests");
});

void test("the seed documents normalize to the same specs as their v1 long forms", () => {
  const short = loadSpecs(SEEDS);
  const long = loadSpecs(LONG_FORMS);
  assert.equal(short.length, 2);
  assert.deepEqual(short, long);
  assert.deepEqual(short[0], {
    provider: "aws",
    bucketName: "my-flux-bucket",
    prefix: "path/to/manifests",
    insecure: false,
    secretRef: { name: "s3-credentials" },
    intervalMs: 300_000,
    timeoutMs: 60_000,
    suspend: false,
  });
  assert.deepEqual(short[1], {
    provider: "gcp",
    bucketName: "my-flux-bucket",
    prefix: "path/to/manifests",
    insecure: false,
    secretRef: { name: "gcs-credentials" },
    intervalMs: 300_000,
    timeoutMs: 60_000,
    suspend: false,
  });
});

void test("the default AWS and GCS endpoints normalize away, in both spellings", () => {
  const aws = normalizeSpec({
    provider: "aws",
    bucketName: "b",
    endpoint: "https://s3.amazonaws.com",
    interval: "1m",
  });
  assert.equal(aws.endpoint, undefined);
  const gcp = normalizeSpec({
    provider: "gcp",
    bucketName: "b",
    endpoint: "storage.googleapis.com",
    interval: "1m",
  });
  assert.equal(gcp.endpoint, undefined);
  const regional = normalizeSpec({
    provider: "aws",
    bucketName: "b",
    endpoint: "s3.eu-west-1.amazonaws.com",
    interval: "1m",
  });
  assert.equal(regional.endpoint, "s3.eu-west-1.amazonaws.com");
});

void test("metadata.namespace defaults to 'default'", () => {
  const bucket = parseBucketDocument({
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    metadata: { name: "b" },
    spec: {},
  });
  assert.equal(bucket.metadata.namespace, "default");
});

void test("s3:// with an endpoint is an S3-compatible (generic) bucket", () => {
  const spec = normalizeSpec({
    url: "s3://my-bucket/some/prefix",
    endpoint: "minio.example.com:9000",
    interval: "1m",
  });
  assert.equal(spec.provider, "generic");
  assert.equal(spec.endpoint, "minio.example.com:9000");
  assert.equal(spec.bucketName, "my-bucket");
  assert.equal(spec.prefix, "some/prefix");
  const long = normalizeSpec({
    provider: "generic",
    bucketName: "my-bucket",
    prefix: "some/prefix",
    endpoint: "minio.example.com:9000",
    interval: "1m",
  });
  assert.deepEqual(spec, long);
});

void test("s3:// with an explicit provider aws and no endpoint stays aws; a bucket with no prefix has prefix ''", () => {
  const spec = normalizeSpec({ url: "s3://only-bucket", provider: "aws", interval: "1m" });
  assert.equal(spec.provider, "aws");
  assert.equal(spec.bucketName, "only-bucket");
  assert.equal(spec.prefix, "");
});

void test("file:///abs is that directory; file://relative resolves against baseDir", () => {
  const abs = normalizeSpec({ url: "file:///srv/manifests", interval: "30s" }, BASE_DIR);
  assert.equal(abs.provider, "file");
  assert.equal(abs.bucketName, "/srv/manifests");
  assert.equal(abs.prefix, "");
  const rel = normalizeSpec({ url: "file://manifests/prod", interval: "30s" }, BASE_DIR);
  assert.equal(rel.provider, "file");
  assert.equal(rel.bucketName, path.join(BASE_DIR, "manifests/prod"));
  const dot = normalizeSpec({ url: "file://./manifests/../other", interval: "30s" }, BASE_DIR);
  assert.equal(dot.bucketName, path.join(BASE_DIR, "other"));
  const spaced = normalizeSpec({ url: "file:///srv/my%20dir", interval: "30s" }, BASE_DIR);
  assert.equal(spaced.bucketName, "/srv/my dir");
});

void test("azblob:// and https://<account>.blob.core.windows.net are the same Azure container", () => {
  const azblob = normalizeSpec({ url: "azblob://myaccount/mycontainer/path/to", interval: "1m" });
  const https = normalizeSpec({
    url: "https://myaccount.blob.core.windows.net/mycontainer/path/to",
    interval: "1m",
  });
  const long = normalizeSpec({
    provider: "azure",
    bucketName: "mycontainer",
    endpoint: "https://myaccount.blob.core.windows.net",
    prefix: "path/to",
    interval: "1m",
  });
  assert.deepEqual(azblob, {
    provider: "azure",
    bucketName: "mycontainer",
    endpoint: "https://myaccount.blob.core.windows.net",
    prefix: "path/to",
    insecure: false,
    intervalMs: 60_000,
    timeoutMs: 60_000,
    suspend: false,
  });
  assert.deepEqual(https, azblob);
  assert.deepEqual(long, azblob);
});

void test("timeout defaults to 60s and can be set", () => {
  assert.equal(DEFAULT_TIMEOUT_MS, 60_000);
  assert.equal(normalizeSpec({ url: "gs://b", interval: "5m" }).timeoutMs, 60_000);
  assert.equal(normalizeSpec({ url: "gs://b", interval: "5m", timeout: "2m30s" }).timeoutMs, 150_000);
});

void test("a leading slash in prefix is dropped", () => {
  assert.equal(
    normalizeSpec({ provider: "gcp", bucketName: "b", prefix: "/a/b", interval: "5m" }).prefix,
    "a/b",
  );
});

/** Runs normalizeSpec expecting a SpecError and returns it. */
function specError(raw: unknown, baseDir = BASE_DIR): SpecError {
  try {
    normalizeSpec(raw, baseDir);
  } catch (error) {
    assert.ok(error instanceof SpecError, `expected SpecError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected normalizeSpec(${JSON.stringify(raw)}) to throw`);
}

function assertIncludes(message: string, ...parts: string[]): void {
  for (const part of parts)
    assert.ok(
      message.includes(part),
      `expected ${JSON.stringify(message)} to include ${JSON.stringify(part)}`,
    );
}

void test("an unknown provider names the field and lists the allowed providers", () => {
  const error = specError({ provider: "oracle", bucketName: "b", interval: "5m" });
  assertIncludes(error.message, "spec.provider", "generic", "aws", "gcp", "azure");
  assert.equal(error.reason, "InvalidSpec");
});

void test("url and bucketName that disagree name both", () => {
  const error = specError({ url: "s3://from-url/p", bucketName: "from-field", interval: "5m" });
  assertIncludes(error.message, "spec.bucketName", "from-field", "spec.url", "s3://from-url/p", "from-url");
  assert.equal(error.reason, "URLInvalid");
});

void test("url and bucketName/prefix that agree are accepted", () => {
  const spec = normalizeSpec({ url: "s3://b/p", bucketName: "b", prefix: "p", interval: "5m" });
  assert.equal(spec.bucketName, "b");
  assert.equal(spec.prefix, "p");
});

void test("url and prefix that disagree name both", () => {
  const error = specError({ url: "gs://b/from-url", prefix: "from-field", interval: "5m" });
  assertIncludes(error.message, "spec.prefix", "from-field", "spec.url");
});

void test("a provider that does not fit the url names both", () => {
  const error = specError({ url: "gs://b/p", provider: "aws", interval: "5m" });
  assertIncludes(error.message, "spec.provider", "spec.url", "gcp");
  assert.equal(error.reason, "URLInvalid");
});

void test("a bad duration names spec.interval and says what a duration looks like", () => {
  for (const interval of ["5 minutes", "5", "-1s", ""]) {
    const error = specError({ url: "gs://b", interval });
    assertIncludes(error.message, "spec.interval", "Go duration", "5m0s");
  }
  const zero = specError({ url: "gs://b", interval: "0s" });
  assertIncludes(zero.message, "spec.interval", "positive");
  const timeout = specError({ url: "gs://b", interval: "5m", timeout: "soon" });
  assertIncludes(timeout.message, "spec.timeout", "Go duration");
});

void test("a missing interval is reported as required", () => {
  const error = specError({ url: "gs://b" });
  assertIncludes(error.message, "spec.interval: is required");
});

void test("a wrongly typed field is not reported as missing", () => {
  // YAML `interval: 5` is a number, not a missing field.
  const error = specError({ url: "gs://b", interval: 5 });
  assertIncludes(error.message, "spec.interval");
  assert.ok(!error.message.includes("is required"), error.message);
  assert.match(error.message, /number/);
  const suspend = specError({ url: "gs://b", interval: "5m", suspend: "yes" });
  assertIncludes(suspend.message, "spec.suspend");
  assert.ok(!suspend.message.includes("is required"), suspend.message);
});

void test("an unsupported URL scheme is URLInvalid and lists the accepted forms", () => {
  const error = specError({ url: "ftp://host/bucket", interval: "5m" });
  assert.equal(error.reason, "URLInvalid");
  assertIncludes(
    error.message,
    "spec.url",
    "ftp://host/bucket",
    '"ftp"',
    "s3://",
    "gs://",
    "azblob://",
    "file://",
  );
  const noScheme = specError({ url: "my-bucket/prefix", interval: "5m" });
  assert.equal(noScheme.reason, "URLInvalid");
  assertIncludes(noScheme.message, "no scheme");
  const notAzure = specError({ url: "https://example.com/bucket", interval: "5m" });
  assert.equal(notAzure.reason, "URLInvalid");
  assertIncludes(notAzure.message, "blob.core.windows.net");
  const noBucket = specError({ url: "s3:///prefix", interval: "5m" });
  assertIncludes(noBucket.message, "bucket name is missing");
});

void test("an unknown field is named", () => {
  const error = specError({ url: "gs://b", interval: "5m", bukcetName: "typo" });
  assertIncludes(error.message, "spec.bukcetName: unknown field");
  const nested = specError({ url: "gs://b", interval: "5m", secretRef: { name: "s", key: "k" } });
  assertIncludes(nested.message, "spec.secretRef.key: unknown field");
});

void test("a bucket needs a name", () => {
  const error = specError({ provider: "aws", interval: "5m" });
  assertIncludes(error.message, "spec.bucketName", "spec.url");
});

void test("provider generic (the default) needs an endpoint, and so does azure", () => {
  const generic = specError({ bucketName: "b", interval: "5m" });
  assertIncludes(generic.message, "spec.endpoint", "required", "generic");
  const explicit = specError({ provider: "generic", bucketName: "b", interval: "5m" });
  assertIncludes(explicit.message, "spec.endpoint", "generic");
  const azure = specError({ provider: "azure", bucketName: "c", interval: "5m" });
  assertIncludes(azure.message, "spec.endpoint", "azure", "blob.core.windows.net");
});

void test("Flux rules: sts only with aws or generic, with the matching STS provider", () => {
  const gcp = specError({
    url: "gs://b",
    interval: "5m",
    sts: { provider: "aws", endpoint: "https://sts.amazonaws.com" },
  });
  assertIncludes(gcp.message, "spec.sts", "aws or generic");
  const awsLdap = specError({
    provider: "aws",
    bucketName: "b",
    interval: "5m",
    sts: { provider: "ldap", endpoint: "https://sts.example.com" },
  });
  assertIncludes(awsLdap.message, "spec.sts.provider", '"aws"');
  const genericAws = specError({
    provider: "generic",
    bucketName: "b",
    endpoint: "minio:9000",
    interval: "5m",
    sts: { provider: "aws", endpoint: "https://sts.example.com" },
  });
  assertIncludes(genericAws.message, "spec.sts.provider", '"ldap"');
  const ok = normalizeSpec({
    provider: "generic",
    bucketName: "b",
    endpoint: "minio:9000",
    interval: "5m",
    sts: { provider: "ldap", endpoint: "https://sts.example.com", secretRef: { name: "ldap" } },
  });
  assert.deepEqual(ok.sts, {
    provider: "ldap",
    endpoint: "https://sts.example.com",
    secretRef: { name: "ldap" },
  });
});

void test("Flux rules: secretRef and serviceAccountName are mutually exclusive", () => {
  const error = specError({
    url: "gs://b",
    interval: "5m",
    secretRef: { name: "s" },
    serviceAccountName: "sa",
  });
  assertIncludes(error.message, "spec.secretRef", "spec.serviceAccountName", "mutually exclusive");
  const onlySa = normalizeSpec({ url: "gs://b", interval: "5m", serviceAccountName: "sa" });
  assert.equal(onlySa.serviceAccountName, "sa");
  const generic = specError({
    bucketName: "b",
    endpoint: "minio:9000",
    interval: "5m",
    serviceAccountName: "sa",
  });
  assertIncludes(generic.message, "spec.serviceAccountName", "generic");
});

void test("file:// buckets take no secretRef or endpoint, and no cloud provider", () => {
  const secret = specError({ url: "file:///srv/x", interval: "5m", secretRef: { name: "s" } });
  assertIncludes(secret.message, "file://", "secretRef");
  const provider = specError({ url: "file:///srv/x", interval: "5m", provider: "aws" });
  assertIncludes(provider.message, "spec.provider", "file");
});

void test("parseBucketDocument names the bad document field", () => {
  const wrongVersion = (() => {
    try {
      parseBucketDocument({
        apiVersion: "source.toolkit.fluxcd.io/v1beta1",
        kind: "Bucket",
        metadata: { name: "b" },
        spec: {},
      });
    } catch (error) {
      return error;
    }
    return undefined;
  })();
  assert.ok(wrongVersion instanceof SpecError);
  assertIncludes(
    wrongVersion.message,
    "apiVersion",
    "source.toolkit.fluxcd.io/v1",
    "source.toolkit.fluxcd.io/v1beta2",
  );
  assert.throws(
    () =>
      parseBucketDocument({
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "Bucket",
        metadata: { name: "Not_DNS" },
      }),
    (error: unknown) => error instanceof SpecError && /metadata\.name/.test(error.message),
  );
  assert.throws(
    () => parseBucketDocument({ apiVersion: "source.toolkit.fluxcd.io/v1", kind: "Bucket", metadata: {} }),
    (error: unknown) => error instanceof SpecError && /metadata\.name: is required/.test(error.message),
  );
});
