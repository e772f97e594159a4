// The standalone API's suspend/resume/events routes over a runner of file:// Buckets (fastify's inject, no socket):
// the overlay over the YAML, its persistence across a restart, the events ring, and who may write (bearer token).
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { pino } from "pino";
import { registerApi } from "../../src/standalone/api.js";
import type { BucketView } from "../../src/standalone/runner.js";
import { StandaloneRunner } from "../../src/standalone/runner.js";
import type { WriteAuthOptions } from "../../src/standalone/routes/write-auth.js";
import { isLoopbackHost } from "../../src/standalone/routes/write-auth.js";
import { tempRunner } from "../support/runner.js";
import { waitFor } from "../support/wait.js";

const yaml = `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: local, namespace: demo}
spec: {interval: 10m, url: "file://data"}
`;

function api(runner: StandaloneRunner, auth?: WriteAuthOptions): FastifyInstance {
  const app = Fastify();
  registerApi(app, runner, auth);
  return app;
}

test("POST suspend overlays spec.suspend (saved: a new runner over the storage is still suspended), the YAML is unchanged; resume reconciles and clears it; the new runner's events list the resume", async (t) => {
  const { runner, config, dir, store } = await tempRunner(t, "api-suspend");
  await mkdir(path.join(config, "data"), { recursive: true });
  await writeFile(path.join(config, "data/a.yaml"), "a: 1\n");
  const file = path.join(config, "bucket.yaml");
  await writeFile(file, yaml);
  await runner.start();
  await waitFor("the first reconcile", () => runner.get("demo", "local")?.status.artifact);
  const app = api(runner);

  const suspended = await app.inject({ method: "POST", url: "/api/buckets/demo/local/suspend" });
  assert.equal(suspended.statusCode, 200);
  const body = suspended.json<{ bucket: BucketView; outcome?: string }>();
  assert.equal(body.bucket.suspended, true);
  assert.equal(body.bucket.suspend?.suspend, true);
  assert.equal(body.outcome, undefined, "a suspend runs no reconcile");
  assert.equal(body.bucket.nextReconcileAt, undefined, "nothing is scheduled");
  assert.equal(await readFile(file, "utf8"), yaml, "the YAML file is not rewritten");
  const whileSuspended = await app.inject({ method: "POST", url: "/api/buckets/demo/local/reconcile" });
  assert.equal(whileSuspended.json<{ outcome: string }>().outcome, "suspended");

  await runner.stop();
  const restarted = new StandaloneRunner({
    logger: pino({ level: "silent" }),
    concurrency: 1,
    concurrentReconciles: 1,
    watch: false,
    configDir: config,
    storageRoot: path.join(dir, "storage"),
    store,
  });
  await restarted.start();
  t.after(() => restarted.stop());
  assert.equal(restarted.get("demo", "local")?.suspended, true, "the suspend survives a restart");
  const app2 = api(restarted);

  const resumed = await app2.inject({ method: "POST", url: "/api/buckets/demo/local/resume" });
  assert.equal(resumed.statusCode, 200);
  const after = resumed.json<{ bucket: BucketView; outcome: string; status: BucketView["status"] }>();
  assert.equal(after.bucket.suspended, false);
  assert.equal(after.bucket.suspend, undefined, "the YAML does not suspend it: no overlay is kept");
  assert.equal(after.outcome, "unchanged");
  assert.match(after.status.artifact?.revision ?? "", /^sha256:/);

  const events = await app2.inject({ method: "GET", url: "/api/buckets/demo/local/events" });
  const reasons = events.json<{ items: { reason: string }[] }>().items.map((e) => e.reason);
  assert.deepEqual(reasons, ["Resumed"], "the new runner keeps its own events (in memory)");
  const unknown = await app2.inject({ method: "POST", url: "/api/buckets/demo/nope/suspend" });
  assert.equal(unknown.statusCode, 404);
  assert.equal((await app2.inject({ method: "GET", url: "/api/buckets/demo/nope/events" })).statusCode, 404);
});

test("resume of a Bucket whose YAML says suspend: true keeps an overlay suspend: false and reconciles it", async (t) => {
  const { runner, config } = await tempRunner(t, "api-resume-yaml");
  await mkdir(path.join(config, "data"), { recursive: true });
  await writeFile(path.join(config, "data/a.yaml"), "a: 1\n");
  await writeFile(
    path.join(config, "bucket.yaml"),
    yaml.replace("interval: 10m,", "interval: 10m, suspend: true,"),
  );
  await runner.start();
  assert.equal(runner.get("demo", "local")?.suspended, true);
  const res = await api(runner).inject({ method: "POST", url: "/api/buckets/demo/local/resume" });
  const body = res.json<{ bucket: BucketView; outcome: string }>();
  assert.equal(body.bucket.suspended, false);
  assert.equal(body.bucket.suspend?.suspend, false);
  assert.equal(body.outcome, "stored");
});

test("write routes: 401 without the configured bearer token, 200 with it; GETs stay open; no token on a non-loopback host refuses writes; loopback without a token is open", async (t) => {
  const { runner, config } = await tempRunner(t, "api-token");
  await mkdir(path.join(config, "data"), { recursive: true });
  await writeFile(path.join(config, "data/a.yaml"), "a: 1\n");
  await writeFile(path.join(config, "bucket.yaml"), yaml);
  await runner.start();
  const url = "/api/buckets/demo/local/reconcile";

  const guarded = api(runner, { listenHost: "0.0.0.0", apiToken: "s3cret" });
  assert.equal((await guarded.inject({ method: "POST", url })).statusCode, 401);
  const wrong = await guarded.inject({ method: "POST", url, headers: { authorization: "Bearer nope" } });
  assert.equal(wrong.statusCode, 401);
  assert.match(wrong.headers["www-authenticate"] as string, /^Bearer/);
  const right = await guarded.inject({ method: "POST", url, headers: { authorization: "Bearer s3cret" } });
  assert.equal(right.statusCode, 200);
  assert.equal((await guarded.inject({ method: "GET", url: "/api/buckets" })).statusCode, 200);
  const unpin = await guarded.inject({ method: "DELETE", url: "/api/buckets/demo/local/pin" });
  assert.equal(unpin.statusCode, 401, "DELETE is a write");

  const noToken = api(runner, { listenHost: "::" });
  const refused = await noToken.inject({ method: "POST", url: "/api/buckets/demo/local/suspend" });
  assert.equal(refused.statusCode, 401);
  assert.match(refused.json<{ error: string }>().error, /--api-token-file/);
  assert.equal(runner.get("demo", "local")?.suspended, false, "the refused suspend changed nothing");

  const loopback = api(runner, { listenHost: "127.0.0.1" });
  assert.equal((await loopback.inject({ method: "POST", url })).statusCode, 200);
});

test("isLoopbackHost: 127.0.0.0/8, ::1 and localhost are loopback; 0.0.0.0, :: and other addresses are not", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
    assert.equal(isLoopbackHost(host), true, host);
  for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.com", "128.0.0.1"])
    assert.equal(isLoopbackHost(host), false, host);
});
