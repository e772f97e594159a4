import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CredentialsError,
  readRequiredSecret,
  s3CredentialsFromSecret,
} from "../../src/credentials/secret.js";

void test("s3CredentialsFromSecret reads Flux's accesskey/secretkey", () => {
  assert.deepEqual(
    s3CredentialsFromSecret({ accesskey: "AKIAFLUX", secretkey: "s3cr3t" }, "s3-credentials"),
    {
      accessKeyId: "AKIAFLUX",
      secretAccessKey: "s3cr3t",
    },
  );
});

void test("s3CredentialsFromSecret reads the AWS spellings", () => {
  assert.deepEqual(
    s3CredentialsFromSecret({ AWS_ACCESS_KEY_ID: "AKIAAWS", AWS_SECRET_ACCESS_KEY: "awssecret" }, "aws"),
    { accessKeyId: "AKIAAWS", secretAccessKey: "awssecret" },
  );
});

void test("s3CredentialsFromSecret accepts a mix of spellings and prefers Flux's", () => {
  assert.deepEqual(s3CredentialsFromSecret({ accesskey: "A", AWS_SECRET_ACCESS_KEY: "S" }, "mixed"), {
    accessKeyId: "A",
    secretAccessKey: "S",
  });
  assert.deepEqual(
    s3CredentialsFromSecret(
      { accesskey: "flux", AWS_ACCESS_KEY_ID: "aws", secretkey: "s", AWS_SECRET_ACCESS_KEY: "t" },
      "both",
    ),
    { accessKeyId: "flux", secretAccessKey: "s" },
  );
});

void test("s3CredentialsFromSecret trims values (Secrets often end in a newline)", () => {
  assert.deepEqual(s3CredentialsFromSecret({ accesskey: "  AKIA\n", secretkey: "\tsecret \n" }, "trim"), {
    accessKeyId: "AKIA",
    secretAccessKey: "secret",
  });
});

void test("s3CredentialsFromSecret returns the session token only when one is set", () => {
  const withToken = s3CredentialsFromSecret({ accesskey: "A", secretkey: "S", sessiontoken: " tok\n" }, "t");
  assert.deepEqual(withToken, { accessKeyId: "A", secretAccessKey: "S", sessionToken: "tok" });
  const awsToken = s3CredentialsFromSecret(
    { accesskey: "A", secretkey: "S", AWS_SESSION_TOKEN: "awstok" },
    "t",
  );
  assert.equal(awsToken.sessionToken, "awstok");
  const without = s3CredentialsFromSecret({ accesskey: "A", secretkey: "S" }, "t");
  assert.ok(!("sessionToken" in without));
  const blank = s3CredentialsFromSecret({ accesskey: "A", secretkey: "S", sessiontoken: "  " }, "t");
  assert.ok(!("sessionToken" in blank));
});

function credentialsError(data: Record<string, string>, name: string): CredentialsError {
  try {
    s3CredentialsFromSecret(data, name);
  } catch (error) {
    assert.ok(error instanceof CredentialsError, `expected CredentialsError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected s3CredentialsFromSecret to throw");
}

void test("a missing secret key is named, with the keys present, never a value", () => {
  const error = credentialsError(
    { accesskey: "VISIBLE-ACCESS-VALUE", region: "eu-west-1" },
    "s3-credentials",
  );
  assert.match(error.message, /s3-credentials/);
  assert.match(error.message, /secretkey or AWS_SECRET_ACCESS_KEY/);
  assert.doesNotMatch(error.message, /AWS_ACCESS_KEY_ID/, "the access key is present, so not asked for");
  assert.match(error.message, /keys present: accesskey, region/);
  assert.ok(!error.message.includes("VISIBLE-ACCESS-VALUE"));
  assert.ok(!error.message.includes("eu-west-1"));
});

void test("both missing keys are named; an empty Secret says no keys are present", () => {
  const error = credentialsError({}, "empty");
  assert.match(error.message, /accesskey or AWS_ACCESS_KEY_ID and secretkey or AWS_SECRET_ACCESS_KEY/);
  assert.match(error.message, /keys present: none/);
});

void test("a blank value counts as missing, and its value is not echoed", () => {
  const error = credentialsError({ accesskey: "   ", secretkey: "TOP-SECRET-VALUE" }, "blank");
  assert.match(error.message, /accesskey or AWS_ACCESS_KEY_ID/);
  assert.doesNotMatch(error.message, /secretkey or/);
  assert.ok(!error.message.includes("TOP-SECRET-VALUE"));
});

void test("readRequiredSecret returns the data or names where the Secret was looked for", async () => {
  const read = (namespace: string, name: string): Promise<Record<string, string> | undefined> =>
    Promise.resolve(namespace === "flux-system" && name === "creds" ? { accesskey: "a" } : undefined);
  assert.deepEqual(await readRequiredSecret(read, "flux-system", "creds"), { accesskey: "a" });
  await assert.rejects(readRequiredSecret(read, "flux-system", "nope"), (error: unknown) => {
    assert.ok(error instanceof CredentialsError);
    assert.match(error.message, /Secret 'flux-system\/nope' not found/);
    return true;
  });
});
