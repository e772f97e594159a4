// The shared-storage mode (deploy/shared-storage, README "Helm charts"): Flux's source-controller opens a Bucket's
// artifact at <its storage path>/<status.artifact.path>, so bucketops must lay files out exactly so. Here for
// `bucketops run` against a real MinIO; the controller's side is in external-artifacts.test.ts.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdir, readFile, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import type { Artifact } from "../../src/api/status.js";
import { runArgs, startServerProcess } from "../support/cli.js";
import { HELM_BIN } from "../support/helm.js";
import { KUBECTL_BIN } from "../support/kube.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);
let minio: MinioServer;
let work: string;

interface PodSpec {
  containers: { name: string; volumeMounts?: { name: string; mountPath: string }[] }[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}
type Doc = { kind: string; metadata: { name: string }; spec: { template: { spec: PodSpec } } };

/** The claim mounted at `mountPath` in the pod's "manager" container. */
function claimAt(spec: PodSpec, mountPath: string): string | undefined {
  const mount = spec.containers
    .find((c) => c.name === "manager")
    ?.volumeMounts?.find((m) => m.mountPath === mountPath);
  return spec.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
}

before(async () => {
  minio = await startMinio();
  await minio.createBucket("shared");
  await minio.putObjects("shared", [
    ["charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"],
    ["charts/web/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"],
  ]);
  work = await makeTempDir("shared");
});

after(async () => {
  await minio?.stop();
  if (work) await removeDir(work);
});

test("bucketops run: the artifact is at <storage>/<status.artifact.path> = bucket/<ns>/<name>/<hex>.tar.gz, its sha256 is status.artifact.digest, and latest.tar.gz links to it by a relative name", async () => {
  const config = path.join(work, "config");
  const storage = path.join(work, "storage");
  await mkdir(config, { recursive: true });
  await writeFile(
    path.join(config, "bucket.yaml"),
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: charts, namespace: flux-system}
spec:
  interval: 10m
  provider: generic
  bucketName: shared
  endpoint: ${minio.endpoint}
  insecure: true
  secretRef: {name: creds}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: flux-system}
stringData: {accesskey: ${minio.accessKey}, secretkey: ${minio.secretKey}}
`,
  );
  const server = await startServerProcess(runArgs(config, storage));
  try {
    const artifact = await waitFor(
      "status.artifact",
      async () => {
        const res = await fetch(`${server.url}/api/buckets/flux-system/charts`);
        if (res.status !== 200) return undefined;
        return ((await res.json()) as { status: { artifact?: Artifact } }).status.artifact;
      },
      { timeoutMs: 30_000, intervalMs: 200, context: () => server.logs().slice(-3000) },
    );
    const hex = artifact.digest.replace(/^sha256:/, "");
    assert.equal(artifact.path, `bucket/flux-system/charts/${hex}.tar.gz`);
    // What source-controller does for a HelmChart with sourceRef kind Bucket: join its storage path and the status path.
    const bytes = await readFile(path.join(storage, artifact.path));
    assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, artifact.digest);
    assert.equal(bytes.length, artifact.size);
    // A relative link keeps working when the other process mounts the volume at another path.
    assert.equal(
      await readlink(path.join(storage, "bucket/flux-system/charts/latest.tar.gz")),
      `${hex}.tar.gz`,
    );
  } finally {
    await server.stop();
  }
});

test("the shared-storage kustomize component and the chart's sharedStorage.claimName mount the PVC at /data/bucket, where source-controller-patch.yaml mounts the same claim", async () => {
  const overlay = path.join(work, "overlay");
  await mkdir(overlay, { recursive: true });
  const rel = (p: string): string => path.relative(overlay, path.join(repoRoot, p));
  await writeFile(
    path.join(overlay, "kustomization.yaml"),
    `resources: [${rel("deploy")}]\ncomponents: [${rel("deploy/shared-storage")}]\n`,
  );
  const docs = parseAllDocuments((await run(KUBECTL_BIN, ["kustomize", overlay])).stdout).map(
    (d) => d.toJS() as Doc,
  );
  const deployment = docs.find((d) => d.kind === "Deployment");
  assert.ok(deployment);
  assert.equal(claimAt(deployment.spec.template.spec, "/data/bucket"), "bucketops-artifacts");
  assert.ok(
    docs.some((d) => d.kind === "PersistentVolumeClaim" && d.metadata.name === "bucketops-artifacts"),
  );

  const patch = parse(
    await readFile(path.join(repoRoot, "deploy/shared-storage/source-controller-patch.yaml"), "utf8"),
  ) as Doc;
  assert.equal(patch.metadata.name, "source-controller");
  assert.equal(claimAt(patch.spec.template.spec, "/data/bucket"), "bucketops-artifacts");

  const { stdout } = await run(HELM_BIN, [
    "template",
    "b",
    path.join(repoRoot, "deploy/chart/bucketops"),
    "--set",
    "sharedStorage.claimName=shared",
  ]);
  const rendered = parseAllDocuments(stdout)
    .map((d) => d.toJS() as Doc)
    .find((d) => d?.kind === "Deployment");
  assert.ok(rendered);
  assert.equal(claimAt(rendered.spec.template.spec, "/data/bucket"), "shared");
});
