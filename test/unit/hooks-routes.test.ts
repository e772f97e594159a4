// POST /hooks/<kind> on a fastify app (fastify's inject, no socket): status codes, authentication, size limit,
// the Event Grid handshakes, matching events to Buckets, and that refused requests wake nothing.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test, type TestContext } from "node:test";
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from "fastify";
import { pino } from "pino";
import type { SecretData } from "../../src/credentials/secret.js";
import { parseHookSecret } from "../../src/hooks/config.js";
import type { HookSubject } from "../../src/hooks/match.js";
import { HOOK_BODY_LIMIT, registerHooks } from "../../src/hooks/routes.js";
import type { ObjectChange } from "../../src/source/object-change.js";
import {
  eventGridBlobEvent,
  eventGridValidation,
  minioWebhookBody,
  pubsubPush,
  s3Notification,
  s3Record,
} from "../support/hook-payloads.js";

interface Harness {
  app: FastifyInstance;
  secrets: Map<string, SecretData>;
  subjects: HookSubject[];
  /** Wakes so far, as "ns/name" → changes (undefined: full). */
  wakes: { ref: string; changes: ObjectChange[] | undefined }[];
  /** Lets the 0 ms debounce timers of requests already answered fire (timers run in the order they were set). */
  settle(): Promise<void>;
  reads: () => number;
  unavailable: { reason?: string };
  /** Moves the Secret cache's clock forward. */
  advance(ms: number): void;
}

const bucket = (name: string, spec: Record<string, unknown>, namespace = "team"): HookSubject => ({
  namespace,
  name,
  spec: { interval: "1h", ...spec },
});

async function harness(t: TestContext, ttlMs = 60_000): Promise<Harness> {
  const secrets = new Map<string, SecretData>([
    ["hooks/s3", { token: "s3-token" }],
    ["hooks/gcs", { token: "gcs-token" }],
    ["hooks/azure", { token: "azure-token" }],
    ["hooks/generic", { hmacKey: "generic-key" }],
  ]);
  let reads = 0;
  const wakes: Harness["wakes"] = [];
  const unavailable: { reason?: string } = {};
  let clock = 1_000_000;
  const subjects: HookSubject[] = [
    bucket("apps", { provider: "generic", bucketName: "cfg", endpoint: "minio:9000", prefix: "apps/" }),
    bucket("aws-all", { provider: "aws", bucketName: "cfg" }),
    bucket("infra", { provider: "generic", bucketName: "cfg", endpoint: "minio:9000", prefix: "infra/" }),
    bucket("paused", { provider: "generic", bucketName: "cfg", endpoint: "minio:9000", suspend: true }),
    bucket("gcs", { provider: "gcp", bucketName: "cfg" }),
    bucket("blob", { provider: "azure", bucketName: "cfg", endpoint: "https://acct.blob.core.windows.net" }),
    bucket("blob-other", {
      provider: "azure",
      bucketName: "cfg",
      endpoint: "https://other.blob.core.windows.net",
    }),
  ];
  const app = Fastify();
  registerHooks(app, {
    secrets: ["s3=hooks/s3", "gcs=hooks/gcs", "azure=hooks/azure", "generic=hooks/generic"].map(
      parseHookSecret,
    ),
    readSecret: (namespace, name) => {
      reads++;
      return Promise.resolve(secrets.get(`${namespace}/${name}`));
    },
    secretTtlMs: ttlMs,
    subjects: () => subjects,
    wake: (ref, changes) => wakes.push({ ref: `${ref.namespace}/${ref.name}`, changes }),
    unavailable: () => unavailable.reason,
    logger: pino({ level: "silent" }),
    debounceMs: 0,
    now: () => clock,
  });
  await app.ready();
  t.after(() => app.close());
  return {
    app,
    secrets,
    subjects,
    wakes,
    settle: () => new Promise((resolve) => setTimeout(resolve, 5)),
    reads: () => reads,
    unavailable,
    advance: (ms) => {
      clock += ms;
    },
  };
}

const post = (
  h: Harness,
  kind: string,
  payload: string,
  headers: Record<string, string> = {},
  query = "",
): Promise<LightMyRequestResponse> =>
  h.app.inject({
    method: "POST",
    url: `/hooks/${kind}${query}`,
    payload,
    headers: { "content-type": "application/json", ...headers },
  });
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

test("an S3 event with the bearer token wakes the generic/aws Buckets of that bucket whose prefix holds the key", async (t) => {
  const h = await harness(t);
  const res = await post(h, "s3", minioWebhookBody("cfg", "apps/deploy.yaml"), bearer("s3-token"));
  assert.equal(res.statusCode, 202);
  assert.deepEqual(res.json(), { accepted: ["team/apps", "team/aws-all"], events: 1, ignored: 0 });
  await h.settle();
  assert.deepEqual(h.wakes, [
    { ref: "team/apps", changes: [{ key: "apps/deploy.yaml", deleted: false }] },
    { ref: "team/aws-all", changes: [{ key: "apps/deploy.yaml", deleted: false }] },
  ]);
});

test("an event for a bucket or prefix no Bucket watches is answered 202 and wakes nothing", async (t) => {
  const h = await harness(t);
  const res = await post(h, "s3", s3Notification(s3Record("unwatched", "apps/x.yaml")), bearer("s3-token"));
  assert.equal(res.statusCode, 202);
  assert.deepEqual(res.json(), { accepted: [], events: 1, ignored: 0 });
  const elsewhere = await post(h, "gcs", pubsubPush("other-bucket", "k"), {}, "?token=gcs-token");
  assert.deepEqual(elsewhere.json(), { accepted: [], events: 1, ignored: 0 });
  await h.settle();
  assert.deepEqual(h.wakes, []);
});

test("a Pub/Sub push with ?token= wakes only the gcp Bucket of that name", async (t) => {
  const h = await harness(t);
  const res = await post(h, "gcs", pubsubPush("cfg", "apps/a.yaml", "OBJECT_DELETE"), {}, "?token=gcs-token");
  assert.equal(res.statusCode, 202);
  await h.settle();
  assert.deepEqual(h.wakes, [{ ref: "team/gcs", changes: [{ key: "apps/a.yaml", deleted: true }] }]);
});

test("an Event Grid batch wakes the azure Bucket of the event's storage account only", async (t) => {
  const h = await harness(t);
  const res = await post(
    h,
    "azure",
    JSON.stringify([eventGridBlobEvent("acct", "cfg", "a.yaml")]),
    {},
    "?token=azure-token",
  );
  assert.equal(res.statusCode, 202);
  await h.settle();
  assert.deepEqual(h.wakes, [{ ref: "team/blob", changes: [{ key: "a.yaml", deleted: false }] }]);
});

test("the Event Grid validation handshake is answered with validationResponse (authenticated); OPTIONS allows the origin", async (t) => {
  const h = await harness(t);
  const res = await post(h, "azure", eventGridValidation("code-123"), {}, "?token=azure-token");
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { validationResponse: "code-123" });
  assert.equal((await post(h, "azure", eventGridValidation("code-123"))).statusCode, 401);
  const options = await h.app.inject({
    method: "OPTIONS",
    url: "/hooks/azure?token=azure-token",
    headers: { "webhook-request-origin": "eventgrid.azure.net" },
  });
  assert.equal(options.statusCode, 200);
  assert.equal(options.headers["webhook-allowed-origin"], "eventgrid.azure.net");
  assert.equal(options.headers["webhook-allowed-rate"], "*");
});

test("a generic POST signed with X-Signature wakes the named Bucket: with keys under its prefix, or fully without", async (t) => {
  const h = await harness(t);
  const sign = (body: string): Record<string, string> => ({
    "x-signature": `sha256=${createHmac("sha256", "generic-key").update(body).digest("hex")}`,
  });
  const withKeys = JSON.stringify({
    namespace: "team",
    name: "apps",
    keys: ["apps/a.yaml", "infra/not-mine.yaml"],
  });
  assert.equal((await post(h, "generic", withKeys, sign(withKeys))).statusCode, 202);
  const full = JSON.stringify({ namespace: "team", name: "infra" });
  assert.equal((await post(h, "generic", full, sign(full))).statusCode, 202);
  const missing = JSON.stringify({ namespace: "team", name: "nope" });
  const notFound = await post(h, "generic", missing, sign(missing));
  assert.equal(notFound.statusCode, 404);
  const paused = JSON.stringify({ namespace: "team", name: "paused" });
  assert.deepEqual((await post(h, "generic", paused, sign(paused))).json(), {
    accepted: [],
    suspended: ["team/paused"],
  });
  await h.settle();
  assert.deepEqual(h.wakes, [
    { ref: "team/apps", changes: [{ key: "apps/a.yaml", deleted: false }] },
    { ref: "team/infra", changes: undefined },
  ]);
});

test("missing, wrong or misplaced credentials get 401 and wake nothing; a body signed with another key too", async (t) => {
  const h = await harness(t);
  const body = minioWebhookBody("cfg", "apps/deploy.yaml");
  const refused = [
    await post(h, "s3", body),
    await post(h, "s3", body, bearer("wrong")),
    await post(h, "s3", body, {}, "?token=wrong"),
    await post(h, "s3", body, bearer("gcs-token")), // another hook's token
    await post(h, "generic", JSON.stringify({ namespace: "team", name: "apps" }), {
      "x-signature": `sha256=${createHmac("sha256", "other").update("x").digest("hex")}`,
    }),
  ];
  assert.deepEqual(
    refused.map((r) => r.statusCode),
    [401, 401, 401, 401, 401],
  );
  assert.equal(refused[0]?.headers["www-authenticate"], "Bearer");
  assert.doesNotMatch(refused[1]?.body ?? "", /s3-token/);
  await h.settle();
  assert.deepEqual(h.wakes, []);
});

test("a rotated token works once the cached Secret is a second old, long before the cache expires; the old one stops", async (t) => {
  const h = await harness(t);
  const body = minioWebhookBody("cfg", "apps/a.yaml");
  assert.equal((await post(h, "s3", body, bearer("s3-token"))).statusCode, 202);
  const readsBefore = h.reads();
  h.secrets.set("hooks/s3", { token: "rotated" });
  // Within a second of the last read a refusal does not re-read (wrong tokens cannot flood the API server).
  assert.equal((await post(h, "s3", body, bearer("rotated"))).statusCode, 401);
  assert.equal(h.reads(), readsBefore);
  h.advance(1000);
  assert.equal((await post(h, "s3", body, bearer("rotated"))).statusCode, 202);
  assert.equal(h.reads(), readsBefore + 1, "one re-read");
  assert.equal((await post(h, "s3", body, bearer("s3-token"))).statusCode, 401);
});

test("a missing hook Secret refuses every request with 401; a disabled or unknown kind answers 404", async (t) => {
  const h = await harness(t);
  h.secrets.delete("hooks/gcs");
  assert.equal((await post(h, "gcs", pubsubPush("cfg", "k"), {}, "?token=gcs-token")).statusCode, 401);
  const app = Fastify();
  registerHooks(app, {
    secrets: [parseHookSecret("s3=hooks/s3")],
    readSecret: () => Promise.resolve({ token: "t" }),
    secretTtlMs: 0,
    subjects: () => [],
    wake: () => undefined,
    logger: pino({ level: "silent" }),
  });
  t.after(() => app.close());
  const disabled = await app.inject({ method: "POST", url: "/hooks/gcs", payload: "{}" });
  assert.equal(disabled.statusCode, 404);
  assert.match(disabled.body, /--hook-secret gcs=<namespace>\/<secretName>/);
  assert.equal((await app.inject({ method: "POST", url: "/hooks/github", payload: "{}" })).statusCode, 404);
});

test("a malformed payload is answered 400 with a short reason; a body over 1 MiB 413; both wake nothing", async (t) => {
  const h = await harness(t);
  const bad = await post(h, "s3", '{"Records": "nope"}', bearer("s3-token"));
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(bad.json(), { error: "body.Records must be an array of S3 events" });
  assert.equal((await post(h, "s3", "not json", bearer("s3-token"))).statusCode, 400);
  const big = JSON.stringify({ Records: [], pad: "x".repeat(HOOK_BODY_LIMIT) });
  assert.equal((await post(h, "s3", big, bearer("s3-token"))).statusCode, 413);
  await h.settle();
  assert.deepEqual(h.wakes, []);
});

test("SNS posts text/plain: the body is read whatever its content type, or without one", async (t) => {
  const h = await harness(t);
  const body = s3Notification(s3Record("cfg", "apps/x.yaml"));
  const plain = await post(h, "s3", body, {
    ...bearer("s3-token"),
    "content-type": "text/plain; charset=UTF-8",
  });
  assert.equal(plain.statusCode, 202);
  const none = await h.app.inject({
    method: "POST",
    url: "/hooks/s3",
    payload: body,
    headers: bearer("s3-token"),
  });
  assert.equal(none.statusCode, 202);
});

test("while the runtime cannot act (a standby) an authenticated request gets 503 with Retry-After and wakes nothing", async (t) => {
  const h = await harness(t);
  h.unavailable.reason = "this replica is a standby";
  const res = await post(h, "s3", minioWebhookBody("cfg", "apps/a.yaml"), bearer("s3-token"));
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers["retry-after"], "5");
  assert.equal((await post(h, "s3", minioWebhookBody("cfg", "apps/a.yaml"))).statusCode, 401);
  await h.settle();
  assert.deepEqual(h.wakes, []);
});
