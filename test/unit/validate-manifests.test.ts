// spec.validate: manifests, through reconcile() on a file:// bucket: a manifest that does not parse blocks the new
// artifact (file, line and column named, never its text), the previous one stays; Helm templates are skipped.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { findCondition } from "../../src/api/status.js";
import { artifactBuffers } from "../support/engine-assert.js";
import { engineEnv, type EngineEnv } from "../support/engine-env.js";

async function bucket(env: EngineEnv, files: Record<string, string>): Promise<string> {
  const root = path.join(env.dir, "bucket");
  for (const [key, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await writeFile(path.join(root, key), text);
  }
  return root;
}

const GOOD = {
  "app/deploy.yaml": "kind: Deployment\nmetadata:\n  name: app\n---\nkind: Service\nmetadata: {name: app}\n",
  "app/config.json": '{"replicas": 2}\n',
  "chart/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.0.0\n",
  "chart/templates/cm.yaml": "{{- if .Values.on }}\nkind: ConfigMap\n{{- end }}\n",
  "README.md": "not checked: {{ [\n",
};

void test("spec.validate: manifests publishes valid YAML (multi-document) and JSON, skipping a Helm chart's templates/", async (t) => {
  const env = await engineEnv(t);
  const root = await bucket(env, GOOD);
  const result = await env.sync({ url: `file://${root}`, interval: "5m", validate: "manifests" });
  assert.equal(result.outcome, "stored", result.error?.message);
  const published = await artifactBuffers(env, result.status.artifact ?? assert.fail("an artifact"));
  assert.deepEqual([...published.keys()].sort(), Object.keys(GOOD).sort());
});

void test("a syntax error blocks the new artifact with ValidationFailed naming file, line and column, not the text; the previous artifact stays", async (t) => {
  const env = await engineEnv(t);
  const root = await bucket(env, GOOD);
  const spec = { url: `file://${root}`, interval: "5m", validate: "manifests" };
  const good = await env.sync(spec);
  assert.equal(good.outcome, "stored", good.error?.message);
  // An unclosed flow mapping after a distinctive value, and a JSON object cut short.
  await writeFile(path.join(root, "app/deploy.yaml"), "kind: Deployment\nmetadata:\n  name: {app-7f3e9c\n");
  await writeFile(path.join(root, "app/config.json"), '{"replicas": 2,\n');

  const bad = await env.sync(spec, good.status);
  assert.equal(bad.outcome, "failed");
  assert.equal(bad.error?.reason, "ValidationFailed");
  const message = bad.error?.message ?? "";
  assert.match(message, /^app\/config\.json:\d+:\d+: .*\(and 1 more invalid file\)/, message);
  assert.ok(!message.includes("app-7f3e9c") && !message.includes("replicas"), `no file text: ${message}`);
  const ready = findCondition(bad.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready?.reason, "ValidationFailed");
  assert.equal(
    bad.status.artifact?.digest,
    good.status.artifact?.digest,
    "the previous artifact stays in status",
  );
  assert.equal(bad.stats.downloaded, 2, "the changed files were fetched and checked");
  const served = await artifactBuffers(env, bad.status.artifact ?? assert.fail("an artifact"));
  assert.equal(
    served.get("app/deploy.yaml")?.toString(),
    GOOD["app/deploy.yaml"],
    "and still holds the old bytes",
  );

  await writeFile(path.join(root, "app/config.json"), '{"replicas": 3}\n');
  const oneLeft = await env.sync(spec, bad.status);
  assert.match(
    oneLeft.error?.message ?? "",
    /^app\/deploy\.yaml:\d+:\d+: .*\([A-Z_]+\);/,
    oneLeft.error?.message,
  );
  assert.ok(!(oneLeft.error?.message ?? "").includes("and 1 more"), "the fixed file is no longer counted");
});

void test("templates/ without a Chart.yaml beside it is validated like any folder", async (t) => {
  const env = await engineEnv(t);
  const root = await bucket(env, {
    "templates/cm.yaml": "{{- if .Values.on }}\nkind: ConfigMap\n{{- end }}\n",
  });
  const result = await env.sync({ url: `file://${root}`, interval: "5m", validate: "manifests" });
  assert.equal(result.error?.reason, "ValidationFailed");
  assert.match(result.error?.message ?? "", /^templates\/cm\.yaml:1:\d+: /);
});

void test("an alias bomb is refused as ValidationFailed (RESOURCE_EXHAUSTION), not expanded", async (t) => {
  const env = await engineEnv(t);
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 12; i++)
    levels.push(
      `${"b".repeat(i)}: &l${i} [${Array(10)
        .fill(i === 1 ? "*a" : `*l${i - 1}`)
        .join(", ")}]`,
    );
  const root = await bucket(env, { "bomb.yaml": `${levels.join("\n")}\n` });
  const result = await env.sync({ url: `file://${root}`, interval: "5m", validate: "manifests" });
  assert.equal(result.error?.reason, "ValidationFailed");
  assert.match(result.error?.message ?? "", /RESOURCE_EXHAUSTION/);
});

void test("without spec.validate the same invalid manifest is published (validation is opt-in)", async (t) => {
  const env = await engineEnv(t);
  const root = await bucket(env, { "bad.yaml": "a: {b\n" });
  const result = await env.sync({ url: `file://${root}`, interval: "5m" });
  assert.equal(result.outcome, "stored", result.error?.message);
});
