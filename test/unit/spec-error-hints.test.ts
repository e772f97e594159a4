// Spec errors that help: the closest field for a typo, the value read echoed (bounded, never for secret fields).
import assert from "node:assert/strict";
import { test } from "node:test";
import { closestName, editDistance } from "../../src/api/did-you-mean.js";
import { SpecError } from "../../src/api/errors.js";
import { normalizeSpec } from "../../src/api/normalize.js";
import { echoValue } from "../../src/api/value-echo.js";

function specMessage(spec: unknown): string {
  try {
    normalizeSpec(spec);
  } catch (error) {
    assert.ok(error instanceof SpecError, String(error));
    return error.message;
  }
  assert.fail("the spec was accepted");
}

void test("editDistance counts insertions, deletions and substitutions", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("abc", "abc"), 0);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("bukcet", "bucket"), 2);
  assert.equal(editDistance("", "abc"), 3);
});

void test("closestName picks the nearest known name case-insensitively, and nothing when none is close", () => {
  const known = ["bucketName", "endpoint", "interval", "insecure", "prefix"];
  assert.equal(closestName("bucketname", known), "bucketName");
  assert.equal(closestName("bukcetName", known), "bucketName");
  assert.equal(closestName("intervl", known), "interval");
  assert.equal(closestName("endpiont", known), "endpoint");
  assert.equal(closestName("colour", known), undefined);
  assert.equal(closestName("x", known), undefined);
});

void test("an unknown spec field names the closest field: spec.bucketname → did you mean bucketName?", () => {
  assert.equal(
    specMessage({ bucketname: "b", interval: "1m" }),
    "spec.bucketname: unknown field; did you mean bucketName?",
  );
});

void test("an unknown nested field suggests from its own object; a far-off name gets no suggestion", () => {
  assert.match(
    specMessage({ bucketName: "b", interval: "1m", limits: { maxObject: 5 } }),
    /spec\.limits\.maxObject: unknown field; did you mean maxObjects\?/,
  );
  assert.equal(specMessage({ bucketName: "b", interval: "1m", colour: "red" }), "spec.colour: unknown field");
});

void test('a wrong value is echoed: spec.interval "5 minutes" is quoted after what is allowed', () => {
  assert.equal(
    specMessage({ bucketName: "b", interval: "5 minutes" }),
    'spec.interval: must be a Go duration such as 30s, 5m0s or 1h30m (units ms, s, m, h) (got "5 minutes")',
  );
  assert.match(specMessage({ bucketName: "b", interval: "1m", provider: "s4" }), /\(got "s4"\)/);
  assert.match(
    specMessage({ bucketName: "b", interval: "1m", insecure: "yes" }),
    /spec\.insecure: .*\(got "yes"\)/,
  );
});

void test("the echoed value is cut to 64 characters", () => {
  const message = specMessage({ bucketName: "b", interval: "1m", timeout: "x".repeat(500) });
  const echoed = /\(got (.*)\)$/.exec(message)?.[1] ?? "";
  assert.equal(echoed.length, 64, message);
  assert.ok(echoed.endsWith("…"), message);
});

void test("values of secret-bearing fields are never echoed; URL userinfo is masked", () => {
  assert.equal(echoValue(["secretRef", "name"], 5), undefined);
  assert.equal(echoValue(["sts", "secretRef"], "hunter2"), undefined);
  assert.equal(echoValue(["password"], "hunter2"), undefined);
  assert.equal(echoValue(["accountKey"], "abc"), undefined);
  assert.equal(echoValue(["endpoint"], "https://user:pw@host"), '"https://***@host"');
  assert.equal(echoValue(["endpoint"], "https://acct.blob/c?sv=1&sig=SECRET"), '"https://acct.blob/c?***"');
  assert.equal(echoValue(["interval"], undefined), undefined);
  const message = specMessage({ bucketName: "b", interval: "1m", secretRef: { name: 12345 } });
  assert.ok(message.startsWith("spec.secretRef.name: "), message);
  assert.ok(!message.includes("12345"), message);
});
