import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import assert from "node:assert/strict";
import { gcsCredentialsFromSecret } from "../../src/credentials/gcp.js";
import { CredentialsError } from "../../src/credentials/secret.js";
import { gcsEndpointUrl } from "../../src/providers/gcs.js";

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const PKCS1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const KEY_LINE = PEM.split("\n")[1] ?? "";
const EMAIL = "flux@my-project.iam.gserviceaccount.com";

function keyJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: "service_account",
    project_id: "my-project",
    private_key_id: "abc123",
    private_key: PEM,
    client_email: EMAIL,
    ...overrides,
  });
}

/** Asserts a CredentialsError whose message matches every pattern and contains none of the values. */
function assertRejected(fn: () => unknown, patterns: RegExp[], values: string[]): string {
  let message = "";
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CredentialsError, `a CredentialsError, got ${String(error)}`);
    message = error.message;
    return true;
  });
  for (const re of patterns) assert.match(message, re);
  for (const value of values)
    assert.equal(message.includes(value), false, `message leaks ${value}: ${message}`);
  return message;
}

void test("gcsCredentialsFromSecret reads Flux's serviceaccount key", () => {
  assert.deepEqual(gcsCredentialsFromSecret({ serviceaccount: keyJson() }, "ns/gcs"), {
    client_email: EMAIL,
    private_key: PEM,
    project_id: "my-project",
  });
});

void test("gcsCredentialsFromSecret reads gcp_credentials, and prefers serviceaccount when both are set", () => {
  assert.equal(gcsCredentialsFromSecret({ gcp_credentials: keyJson() }, "ns/gcs").client_email, EMAIL);
  const other = "other@my-project.iam.gserviceaccount.com";
  const both = gcsCredentialsFromSecret(
    { serviceaccount: keyJson(), gcp_credentials: keyJson({ client_email: other }) },
    "ns/gcs",
  );
  assert.equal(both.client_email, EMAIL);
});

void test("gcsCredentialsFromSecret accepts PKCS#1 (BEGIN RSA PRIVATE KEY) keys and no project_id", () => {
  const creds = gcsCredentialsFromSecret(
    { serviceaccount: keyJson({ private_key: PKCS1, project_id: undefined }) },
    "ns/gcs",
  );
  assert.equal(creds.private_key, PKCS1);
  assert.equal(creds.project_id, undefined);
});

void test("a Secret without either key names both keys and lists the keys present, never values", () => {
  const message = assertRejected(
    () => gcsCredentialsFromSecret({ "key.json": keyJson(), accesskey: "AKIA-VALUE" }, "ns/gcs"),
    [/Secret 'ns\/gcs' lacks serviceaccount or gcp_credentials/, /keys present: accesskey, key\.json/],
    ["AKIA-VALUE", KEY_LINE, EMAIL],
  );
  assert.match(message, /service-account key file/);
  assertRejected(() => gcsCredentialsFromSecret({}, "ns/gcs"), [/keys present: none/], []);
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: "  \n" }, "ns/gcs"),
    [/lacks serviceaccount/],
    [],
  );
});

void test("invalid JSON is reported without echoing any of it", () => {
  const broken = `{"type":"service_account","private_key":"${KEY_LINE}",`;
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: broken }, "ns/gcs"),
    [/key 'serviceaccount': not valid JSON/],
    [KEY_LINE.slice(0, 16), "service_account", "position", "Unexpected"],
  );
  assertRejected(
    () => gcsCredentialsFromSecret({ gcp_credentials: "c2VydmljZWFjY291bnQ=" }, "ns/gcs"),
    [/key 'gcp_credentials': not valid JSON/],
    ["c2VydmljZWFjY291bnQ="],
  );
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: `["${EMAIL}"]` }, "ns/gcs"),
    [/must be a JSON object/],
    [EMAIL],
  );
});

void test("'type' must be service_account", () => {
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ type: undefined }) }, "ns/gcs"),
    [/JSON field 'type' is missing; it must be "service_account"/],
    [EMAIL, KEY_LINE],
  );
  assertRejected(
    () =>
      gcsCredentialsFromSecret(
        { serviceaccount: keyJson({ type: "authorized_user", refresh_token: "1//refresh-VALUE" }) },
        "ns/gcs",
      ),
    [/JSON field 'type' must be "service_account"/],
    ["authorized_user", "1//refresh-VALUE", EMAIL],
  );
});

void test("client_email must be present and an email address", () => {
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ client_email: undefined }) }, "ns/gcs"),
    [/JSON field 'client_email' is missing/],
    [KEY_LINE],
  );
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ client_email: 42 }) }, "ns/gcs"),
    [/JSON field 'client_email' must be a non-empty string/],
    [],
  );
  assertRejected(
    () =>
      gcsCredentialsFromSecret({ serviceaccount: keyJson({ client_email: "not-an-email-VALUE" }) }, "ns/gcs"),
    [/JSON field 'client_email' must be the service account's email address/],
    ["not-an-email-VALUE"],
  );
});

void test("private_key must be an unencrypted PEM private key that loads", () => {
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ private_key: undefined }) }, "ns/gcs"),
    [/JSON field 'private_key' is missing/],
    [EMAIL],
  );
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ private_key: KEY_LINE }) }, "ns/gcs"),
    [/JSON field 'private_key' must be a PEM private key/],
    [KEY_LINE.slice(0, 16), EMAIL],
  );
  // Newlines escaped twice (a common copy-paste accident) get a hint, still without the value.
  const doubled = PEM.replace(/\n/g, "\\n");
  const hinted = assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ private_key: doubled }) }, "ns/gcs"),
    [/not a valid PEM private key/, /literal backslash-n/],
    [KEY_LINE.slice(0, 16)],
  );
  assert.equal(hinted.includes("PRIVATE KEY-----\\n"), false);
  const corrupt = PEM.replace(KEY_LINE, KEY_LINE.replace(/[A-Za-z]/g, "A"));
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ private_key: corrupt }) }, "ns/gcs"),
    [/JSON field 'private_key' is not a valid PEM private key/],
    [KEY_LINE.slice(0, 16), "AAAAAAAAAAAA"],
  );
  const encrypted = privateKey
    .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pass-VALUE" })
    .toString();
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ private_key: encrypted }) }, "ns/gcs"),
    [/JSON field 'private_key' is an encrypted key/],
    ["pass-VALUE", encrypted.split("\n")[1] ?? "-"],
  );
  const certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ private_key: certificate }) }, "ns/gcs"),
    [/must be a PEM private key/],
    ["MIIB"],
  );
});

void test("project_id must be a string when present", () => {
  assertRejected(
    () => gcsCredentialsFromSecret({ serviceaccount: keyJson({ project_id: 12345 }) }, "ns/gcs"),
    [/JSON field 'project_id' must be a string/],
    ["12345"],
  );
});

void test("gcsEndpointUrl adds the scheme Flux implies and drops a JSON API path", () => {
  assert.equal(gcsEndpointUrl("127.0.0.1:4443", true), "http://127.0.0.1:4443");
  assert.equal(gcsEndpointUrl("storage.example.com", false), "https://storage.example.com");
  assert.equal(gcsEndpointUrl("http://127.0.0.1:4443/", false), "http://127.0.0.1:4443");
  assert.equal(gcsEndpointUrl("http://localhost:4443/storage/v1/", false), "http://localhost:4443");
});
