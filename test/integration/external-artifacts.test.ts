// ExternalArtifacts (Flux's own CRD from source-controller's Go module) kept by the controller for a Bucket with
// spec.externalArtifacts, on a real kube-apiserver with a real MinIO: one per chart (a chart folder and a `helm
// package`d .tgz), the mirror, a new version, a removed chart, deletion with the Bucket; the real helm renders the
// chart served at the status URL. Also the shared-storage layout: the file at <storage>/<status.artifact.path>.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1ClusterRole,
} from "@kubernetes/client-node";
import type { Artifact, BucketStatus, Condition } from "../../src/api/status.js";
import { CRD_FILE } from "../../src/install/deploy-files.js";
import { installObjects } from "../../src/install/manifests.js";
import { startController, type ControllerProcess } from "../support/controller.js";
import { helmCli, writeChartDir } from "../support/helm.js";
import { KUBECTL_BIN, startKube, type KubeServer } from "../support/kube.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor as pollUntil } from "../support/wait.js";

const NS = "flux-system";
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Fetched by scripts/test-servers.sh from github.com/fluxcd/source-controller (pinned version). */
const EA_CRD = path.join(repoRoot, ".cache/flux-crds/source.toolkit.fluxcd.io_externalartifacts.yaml");
const BUCKETS = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "buckets" };
const EAS = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "externalartifacts" };
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

interface Obj {
  metadata: {
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: { sourceRef?: { kind: string; name: string } };
  status?: { artifact?: Artifact; conditions?: Condition[] } & Partial<BucketStatus>;
}

let kube: KubeServer;
let minio: MinioServer;
let work: string;
let storage: string;
let objects: CustomObjectsApi;
let core: CoreV1Api;
let controller: ControllerProcess;
const cleanups: (() => Promise<void>)[] = [];

const kubectl = async (...args: string[]): Promise<string> =>
  (await promisify(execFile)(KUBECTL_BIN, ["--kubeconfig", kube.kubeconfigPath, ...args])).stdout;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> =>
  pollUntil(what, probe, {
    timeoutMs: 60_000,
    intervalMs: 200,
    context: () => controller.logs().slice(-4000),
  });

async function get(api: typeof BUCKETS, name: string): Promise<Obj | undefined> {
  try {
    return (await objects.getNamespacedCustomObject({ ...api, namespace: NS, name })) as Obj;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

async function listOwned(uid: string): Promise<Obj[]> {
  const list = (await objects.listNamespacedCustomObject({
    ...EAS,
    namespace: NS,
    labelSelector: `bucketops.io/bucket-uid=${uid}`,
  })) as { items: Obj[] };
  return list.items;
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return Buffer.from(await res.arrayBuffer());
}

/** A chart archive made by the real `helm package`, as CI pipelines push them. */
async function helmPackage(name: string, version: string): Promise<Buffer> {
  const helm = await helmCli({ after: (fn) => cleanups.push(fn) });
  const dir = await writeChartDir(path.join(work, `pkg-${name}-${version}`), name, version);
  const out = path.join(work, `out-${name}-${version}`);
  await helm("package", dir, "--destination", out);
  return readFile(path.join(out, `${name}-${version}.tgz`));
}

async function uploadChartDir(name: string, version: string): Promise<void> {
  const dir = await writeChartDir(path.join(work, `dir-${name}`), name, version);
  for (const rel of ["Chart.yaml", "values.yaml", "templates/configmap.yaml"])
    await minio.client.send(
      new PutObjectCommand({
        Bucket: "charts",
        Key: `${name}/${rel}`,
        Body: await readFile(path.join(dir, rel)),
      }),
    );
}

async function requestReconcile(name: string): Promise<void> {
  const body = { metadata: { annotations: { "reconcile.fluxcd.io/requestedAt": new Date().toISOString() } } };
  await objects.patchNamespacedCustomObject({ ...BUCKETS, namespace: NS, name, body }, mergePatch);
}

before(async () => {
  if (!existsSync(EA_CRD)) throw new Error(`${EA_CRD} not found; run 'npm run test-servers' to fetch it`);
  work = await makeTempDir("extart");
  storage = path.join(work, "storage");
  [kube, minio] = await Promise.all([startKube(), startMinio()]);
  const admin = new KubeConfig();
  admin.loadFromFile(kube.kubeconfigPath);
  objects = admin.makeApiClient(CustomObjectsApi);
  await kubectl("apply", "-f", path.join(repoRoot, CRD_FILE), "-f", EA_CRD);
  await kubectl("wait", "--for=condition=Established", "crd/buckets.source.toolkit.fluxcd.io");
  await kubectl("wait", "--for=condition=Established", "crd/externalartifacts.source.toolkit.fluxcd.io");
  core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  // The install manifests' ClusterRole, bound to the unprivileged identity the controller runs as.
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const role = installObjects({ namespace: NS, image: "unused" }).find(
    (o) => o.kind === "ClusterRole",
  ) as V1ClusterRole;
  await rbac.createClusterRole({ body: role });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: "bucketops-test" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: role.metadata?.name ?? "",
      },
      subjects: [{ kind: "User", name: kube.controller.user, apiGroup: "rbac.authorization.k8s.io" }],
    },
  });
  await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: { name: "s3-credentials" },
      stringData: { accesskey: minio.accessKey, secretkey: minio.secretKey },
    },
  });
  await minio.createBucket("charts");
  await uploadChartDir("web", "0.1.0");
  await minio.client.send(
    new PutObjectCommand({
      Bucket: "charts",
      Key: "packages/api-1.0.0.tgz",
      Body: await helmPackage("api", "1.0.0"),
    }),
  );
  await minio.client.send(
    new PutObjectCommand({ Bucket: "charts", Key: "packages/broken.tgz", Body: "not a gzip'd tar" }),
  );
  controller = await startController([
    "--kubeconfig",
    kube.controller.kubeconfigPath,
    "--storage-path",
    storage,
    "--no-leader-elect",
    "--log-level",
    "debug",
  ]);
  const bucket = `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: charts, namespace: ${NS}}
spec:
  interval: 10m
  provider: generic
  bucketName: charts
  endpoint: ${minio.endpoint}
  insecure: true
  secretRef: {name: s3-credentials}
  externalArtifacts: {charts: true, mirror: true}
`;
  await writeFile(path.join(work, "bucket.yaml"), bucket);
  await kubectl("apply", "-f", path.join(work, "bucket.yaml"));
});

after(async () => {
  await controller?.kill();
  await Promise.all([kube?.stop(), minio?.stop(), ...cleanups.map((fn) => fn())]);
  if (work) await removeDir(work);
});

const readyArtifact = (name: string, revisionPrefix = ""): Promise<Obj> =>
  waitFor(`ExternalArtifact ${name} (${revisionPrefix || "any revision"})`, async () => {
    const ea = await get(EAS, name);
    return ea?.status?.artifact?.revision.startsWith(revisionPrefix) ? ea : undefined;
  });

test("a chart folder and a helm-packaged .tgz each get an ExternalArtifact owned by the Bucket, revision <version>@<digest>, Ready; the broken .tgz gets none, named in a log line and a ChartSkipped Warning event", async () => {
  const bucket = await waitFor("Bucket charts with an artifact", async () => {
    const b = await get(BUCKETS, "charts");
    return b?.status?.artifact ? b : undefined;
  });
  const web = await readyArtifact("charts-web");
  const api = await readyArtifact("charts-api");
  for (const [ea, version] of [
    [web, "0.1.0"],
    [api, "1.0.0"],
  ] as const) {
    const artifact = ea.status?.artifact;
    assert.equal(artifact?.revision, `${version}@${artifact?.digest ?? ""}`);
    assert.match(artifact?.digest ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(ea.metadata.ownerReferences, [
      {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "Bucket",
        name: "charts",
        uid: bucket.metadata.uid ?? "",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.deepEqual(ea.spec?.sourceRef, {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "Bucket",
      name: "charts",
      namespace: NS,
    });
    const ready = ea.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "True");
    assert.equal(ready?.reason, "Succeeded");
  }
  const names = (await listOwned(bucket.metadata.uid ?? "")).map((o) => o.metadata.name).sort();
  assert.deepEqual(
    names,
    ["charts", "charts-api", "charts-web"],
    "no ExternalArtifact for packages/broken.tgz",
  );
  assert.match(controller.logs(), /packages\/broken\.tgz/, "the skipped file is named in the log");
  const events = await waitFor("ChartSkipped event", async () => {
    const list = await core.listNamespacedEvent({ namespace: NS });
    const found = list.items.filter((e) => e.reason === "ChartSkipped");
    return found.length > 0 ? found : undefined;
  });
  assert.equal(events[0]?.type, "Warning");
  assert.match(events[0]?.message ?? "", /packages\/broken\.tgz/);
  assert.equal(events[0]?.involvedObject.name, "charts");
});

test("each chart ExternalArtifact's URL serves an archive whose sha256 and size are the status's, and the real helm template renders it", async (t) => {
  const helm = await helmCli(t);
  for (const [name, chart, version] of [
    ["charts-web", "web", "0.1.0"],
    ["charts-api", "api", "1.0.0"],
  ] as const) {
    const artifact = (await readyArtifact(name)).status?.artifact;
    assert.ok(artifact);
    const bytes = await download(artifact.url);
    assert.equal(sha256(bytes), artifact.digest);
    assert.equal(bytes.length, artifact.size);
    const file = path.join(work, `${name}.tgz`);
    await writeFile(file, bytes);
    const { stdout } = await helm("template", "rel", file);
    assert.match(stdout, new RegExp(`name: rel-${chart}\\n`));
    assert.match(stdout, new RegExp(`version: "${version.replace(/\./g, "\\.")}"`));
    // The same file in bucketops' storage, at the status path (what a shared volume would show).
    assert.equal(sha256(await readFile(path.join(storage, artifact.path))), artifact.digest);
  }
});

test("the mirror ExternalArtifact's status.artifact equals the Bucket's status.artifact, and the Bucket's artifact is at <storage>/<status.artifact.path> with sha256 = status.artifact.digest", async () => {
  const bucket = await get(BUCKETS, "charts");
  const artifact = bucket?.status?.artifact;
  assert.ok(artifact);
  const mirror = await waitFor("mirror with the Bucket's artifact", async () => {
    const ea = await get(EAS, "charts");
    return ea?.status?.artifact?.digest === artifact.digest ? ea : undefined;
  });
  assert.deepEqual(mirror.status?.artifact, artifact);
  assert.equal(mirror.metadata.labels?.["bucketops.io/role"], "mirror");
  assert.equal(artifact.path, `bucket/${NS}/charts/${artifact.digest.slice("sha256:".length)}.tar.gz`);
  assert.equal(sha256(await readFile(path.join(storage, artifact.path))), artifact.digest);
});

test("a new chart version updates its ExternalArtifact (and the mirror); a chart removed from the bucket loses its ExternalArtifact and files", async () => {
  const before = (await readyArtifact("charts-api", "1.0.0@")).status?.artifact;
  await minio.client.send(
    new PutObjectCommand({
      Bucket: "charts",
      Key: "packages/api-1.1.0.tgz",
      Body: await helmPackage("api", "1.1.0"),
    }),
  );
  for (const rel of ["Chart.yaml", "values.yaml", "templates/configmap.yaml"])
    await minio.client.send(new DeleteObjectCommand({ Bucket: "charts", Key: `web/${rel}` }));
  await requestReconcile("charts");
  const updated = await readyArtifact("charts-api", "1.1.0@");
  assert.notEqual(updated.status?.artifact?.digest, before?.digest);
  assert.equal(sha256(await download(updated.status?.artifact?.url ?? "")), updated.status?.artifact?.digest);
  await waitFor("charts-web deleted", async () => (await get(EAS, "charts-web")) === undefined);
  assert.equal(existsSync(path.join(storage, "externalartifact", NS, "charts-web")), false);
  const bucket = await get(BUCKETS, "charts");
  await waitFor("mirror follows the new artifact", async () => {
    const mirror = await get(EAS, "charts");
    return mirror?.status?.artifact?.digest === bucket?.status?.artifact?.digest;
  });
});

// The test API server runs no controller-manager, so no garbage collector: what is asserted here is the
// controller's finalizer deleting them (in a cluster the ownerReferences asserted above would too).
test("deleting the Bucket deletes its ExternalArtifacts and their files, in the controller's finalizer", async () => {
  const uid = (await get(BUCKETS, "charts"))?.metadata.uid ?? "";
  assert.ok((await listOwned(uid)).length > 0);
  await objects.deleteNamespacedCustomObject({ ...BUCKETS, namespace: NS, name: "charts" });
  await waitFor("Bucket gone", async () => (await get(BUCKETS, "charts")) === undefined);
  assert.deepEqual(await listOwned(uid), []);
  assert.deepEqual(await readdir(path.join(storage, "externalartifact", NS)).catch(() => []), []);
});
