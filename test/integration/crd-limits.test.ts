// spec.limits in the generated CRD on a real kube-apiserver: quantities and numbers are accepted as written, and
// the API server refuses what the engine would refuse (the int-or-string quantity pattern, maxObjects below 1).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { CRD_FILE } from "../../src/install/deploy-files.js";
import { KUBECTL_BIN, startKube, type KubeServer } from "../support/kube.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let kube: KubeServer;

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(KUBECTL_BIN, [
      "--kubeconfig",
      kube.kubeconfigPath,
      ...args,
    ]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function bucketYaml(name: string, limits: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: default}
spec:
  bucketName: b
  endpoint: minio.example.com:9000
  interval: 5m
  limits: ${limits}
`;
}

before(async () => {
  kube = await startKube();
  const applied = await kubectl("apply", "-f", path.join(repoRoot, CRD_FILE));
  assert.equal(applied.code, 0, applied.stderr);
  const established = await kubectl(
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "crd/buckets.source.toolkit.fluxcd.io",
  );
  assert.equal(established.code, 0, established.stderr);
});

after(async () => {
  await kube?.stop();
});

test("the API server stores spec.limits with quantity strings and numbers as written", async () => {
  const file = path.join(kube.dir, "ok.yaml");
  await writeFile(
    file,
    bucketYaml("limits-ok", "{maxObjectSize: 1Gi, maxTotalSize: 10737418240, maxObjects: 1000}"),
  );
  const created = await kubectl("apply", "-f", file);
  assert.equal(created.code, 0, created.stderr);
  const got = await kubectl("get", "bucket", "limits-ok", "-o", "jsonpath={.spec.limits}");
  assert.deepEqual(JSON.parse(got.stdout), {
    maxObjectSize: "1Gi",
    maxTotalSize: 10737418240,
    maxObjects: 1000,
  });
});

test("the API server refuses spec.limits that are not quantities, and maxObjects below 1, naming the field", async () => {
  for (const [name, limits, field] of [
    ["limits-gb", "{maxObjectSize: 1GB}", "spec.limits.maxObjectSize"],
    ["limits-neg", '{maxTotalSize: "-1"}', "spec.limits.maxTotalSize"],
    ["limits-zero", "{maxObjects: 0}", "spec.limits.maxObjects"],
  ] as const) {
    const file = path.join(kube.dir, `${name}.yaml`);
    await writeFile(file, bucketYaml(name, limits));
    const result = await kubectl("apply", "-f", file);
    assert.notEqual(result.code, 0, `${limits} must be refused`);
    assert.ok(result.stderr.includes(field), `${limits}: ${result.stderr}`);
  }
});
