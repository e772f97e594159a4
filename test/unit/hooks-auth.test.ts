// Hook authentication: bearer, basic password and ?token= against the Secret's token; X-Signature HMAC against
// its hmacKey; the --hook-secret flag value.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { hasHookCredentials, isAuthorized } from "../../src/hooks/auth.js";
import { hookSecretsByKind, parseHookSecret } from "../../src/hooks/config.js";

const body = Buffer.from('{"Records":[]}');
const sign = (algorithm: string, key: string, data: Buffer = body): string =>
  `${algorithm}=${createHmac(algorithm, key).update(data).digest("hex")}`;
const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

test("the token is accepted as Authorization: Bearer, as a Basic password and as ?token=; a wrong one is not", () => {
  const secret = { token: "s3cr3t\n" }; // a trailing newline (a Secret made from a file) is ignored
  assert.equal(isAuthorized(secret, { authorization: "Bearer s3cr3t", body }), true);
  assert.equal(isAuthorized(secret, { authorization: "bearer s3cr3t", body }), true);
  assert.equal(isAuthorized(secret, { authorization: basic("sns", "s3cr3t"), body }), true);
  assert.equal(isAuthorized(secret, { queryToken: "s3cr3t", body }), true);
  assert.equal(isAuthorized(secret, { authorization: "Bearer s3cr3T", body }), false);
  assert.equal(isAuthorized(secret, { authorization: "Bearer s3cr3t-and-more", body }), false);
  assert.equal(isAuthorized(secret, { authorization: basic("s3cr3t", "x"), body }), false);
  assert.equal(isAuthorized(secret, { queryToken: "", body }), false);
  assert.equal(isAuthorized(secret, { body }), false);
});

test("an X-Signature sha256= or sha512= HMAC of the raw body with hmacKey is accepted; any other is not", () => {
  const secret = { hmacKey: "k3y" };
  assert.equal(isAuthorized(secret, { signature: sign("sha256", "k3y"), body }), true);
  assert.equal(isAuthorized(secret, { signature: sign("sha512", "k3y"), body }), true);
  assert.equal(isAuthorized(secret, { signature: sign("sha256", "other"), body }), false);
  assert.equal(
    isAuthorized(secret, { signature: sign("sha256", "k3y", Buffer.from("tampered")), body }),
    false,
  );
  assert.equal(isAuthorized(secret, { signature: sign("sha1", "k3y"), body }), false);
  assert.equal(isAuthorized(secret, { signature: "sha256=abcd", body }), false);
  // An hmacKey alone accepts no token, and a token alone accepts no signature.
  assert.equal(isAuthorized(secret, { authorization: "Bearer k3y", body }), false);
  assert.equal(isAuthorized({ token: "k3y" }, { signature: sign("sha256", "k3y"), body }), false);
});

test("a Secret with both keys accepts either proof; a Secret with neither has no credentials and accepts nothing", () => {
  const both = { token: "t", hmacKey: "k" };
  assert.equal(isAuthorized(both, { authorization: "Bearer t", body }), true);
  assert.equal(isAuthorized(both, { signature: sign("sha256", "k"), body }), true);
  assert.equal(hasHookCredentials({ token: " \n" }), false);
  assert.equal(
    isAuthorized({ token: " \n", other: "x" }, { authorization: "Bearer  ", queryToken: "", body }),
    false,
  );
});

test("--hook-secret takes <kind>=<namespace>/<secretName>; unknown kinds, bad names and a kind twice are refused", () => {
  assert.deepEqual(parseHookSecret("s3=flux-system/bucket-hooks"), {
    kind: "s3",
    namespace: "flux-system",
    name: "bucket-hooks",
  });
  assert.throws(() => parseHookSecret("s3:flux-system/x"), /<kind>=<namespace>\/<secretName>/);
  assert.throws(() => parseHookSecret("github=ns/x"), /unknown; use one of s3, gcs, azure, generic/);
  assert.throws(() => parseHookSecret("gcs=Bad_NS/x"), /not a valid/);
  const twice = [parseHookSecret("s3=a/x"), parseHookSecret("s3=b/y")];
  assert.throws(() => hookSecretsByKind(twice), /given twice for the s3 hook/);
});
