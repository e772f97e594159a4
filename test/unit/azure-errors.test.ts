// How Azure SDK errors map to ProviderError kinds: by HTTP status, storage error code and error name only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AuthenticationError, CredentialUnavailableError } from "@azure/identity";
import { RestError } from "@azure/storage-blob";
import { classify } from "../../src/providers/azure.js";
import type { ProviderErrorKind } from "../../src/providers/types.js";

const ENDPOINT = "https://acct.blob.core.windows.net";
const kindOf = (error: unknown, what = "list c/"): ProviderErrorKind => classify(error, what, ENDPOINT).kind;
const rest = (statusCode: number | undefined, code: string): RestError =>
  new RestError("service message\nRequestId:abc\nTime:now", { statusCode, code });

void test("storage error codes and statuses map to the kinds the engine acts on", () => {
  assert.equal(kindOf(rest(404, "ContainerNotFound")), "BucketNotFound");
  assert.equal(kindOf(rest(403, "AuthenticationFailed")), "Unauthorized");
  assert.equal(kindOf(rest(403, "AuthorizationFailure")), "Unauthorized");
  assert.equal(kindOf(rest(403, "AuthorizationPermissionMismatch")), "Unauthorized");
  assert.equal(kindOf(rest(401, "SomethingNew")), "Unauthorized");
  assert.equal(kindOf(rest(412, "ConditionNotMet"), "get c/k"), "Transient");
  assert.equal(kindOf(rest(404, "BlobNotFound"), "get c/k"), "NotFound");
  assert.equal(kindOf(rest(500, "InternalError")), "Transient");
  assert.equal(kindOf(rest(503, "ServerBusy")), "Transient");
  assert.equal(kindOf(rest(429, "TooManyRequests")), "Transient");
  assert.equal(kindOf(rest(400, "InvalidQueryParameterValue")), "Invalid");
  assert.equal(kindOf(rest(409, "ContainerBeingDeleted")), "Invalid");
});

void test("network failures are transient, untrusted certificates are not", () => {
  assert.equal(kindOf(rest(undefined, "ECONNRESET")), "Transient");
  assert.equal(kindOf(rest(undefined, "REQUEST_SEND_ERROR")), "Transient");
  const refused = classify(rest(undefined, "ECONNREFUSED"), "list c/", ENDPOINT);
  assert.equal(refused.kind, "Transient");
  assert.match(refused.message, /connection to https:\/\/acct\.blob\.core\.windows\.net refused/);
  const cert = classify(rest(undefined, "SELF_SIGNED_CERT_IN_CHAIN"), "list c/", ENDPOINT);
  assert.equal(cert.kind, "Invalid");
  assert.match(cert.message, /spec\.certSecretRef/);
});

void test("@azure/identity failures are Unauthorized; aborts are Transient", () => {
  assert.equal(kindOf(new CredentialUnavailableError("no managed identity endpoint")), "Unauthorized");
  assert.equal(
    kindOf(new AuthenticationError(400, { error: "invalid_client", error_description: "bad" })),
    "Unauthorized",
  );
  const abort = new Error("aborted");
  abort.name = "AbortError";
  assert.equal(kindOf(abort), "Transient");
});

void test("messages keep the first line of the service's message and say which container or blob", () => {
  const error = classify(
    rest(404, "ContainerNotFound"),
    "list https://acct.blob.core.windows.net/c/p",
    ENDPOINT,
  );
  assert.equal(
    error.message,
    "list https://acct.blob.core.windows.net/c/p: container does not exist (ContainerNotFound)",
  );
  const denied = classify(rest(403, "AuthenticationFailed"), "list x/", ENDPOINT);
  assert.equal(denied.message, "list x/: access denied (AuthenticationFailed): service message");
});
