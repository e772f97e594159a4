// The controller runtime serves /helm for a Bucket with spec.helmRepository, on the real kube-apiserver.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { startController, type ControllerProcess } from "../support/controller.js";
import { helmCli, writeChartDir } from "../support/helm.js";
import { startKube, type KubeServer } from "../support/kube.js";
import { installBucketCrd } from "../support/bucket-crd.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const NS = "helm-kube";
let kube: KubeServer;
let minio: MinioServer;
let work: string;
let controller: ControllerProcess;

before(async () => {
  work = await makeTempDir("helm-kube");
  [kube, minio] = await Promise.all([startKube(), startMinio()]);
  await installBucketCrd(kube);
  const admin = new KubeConfig();
  admin.loadFromFile(kube.kubeconfigPath);
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: { name: "minio" },
      stringData: { accesskey: minio.accessKey, secretkey: minio.secretKey },
    },
  });
  controller = await startController([
    "--kubeconfig",
    kube.kubeconfigPath,
    "--storage-path",
    path.join(work, "storage"),
    "--no-leader-elect",
  ]);
});

after(async () => {
  await controller?.stop();
  await Promise.all([kube?.stop(), minio?.stop()]);
  if (work) await removeDir(work);
});

test("the controller's server serves /helm/<ns>/<name>/index.yaml and the chart helm pulls and renders; deletion removes both", async (t) => {
  const helm = await helmCli(t);
  const src = path.join(work, "src");
  await mkdir(src, { recursive: true });
  await helm("package", await writeChartDir(src, "kubechart", "1.4.2"), "--destination", src);
  const bytes = await readFile(path.join(src, "kubechart-1.4.2.tgz"));
  await minio.createBucket("kube-charts");
  await minio.putObjects("kube-charts", [["kubechart-1.4.2.tgz", bytes]]);
  const admin = new KubeConfig();
  admin.loadFromFile(kube.kubeconfigPath);
  await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    namespace: NS,
    plural: "buckets",
    body: {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "Bucket",
      metadata: { name: "repo", namespace: NS },
      spec: {
        interval: "1h",
        provider: "generic",
        bucketName: "kube-charts",
        endpoint: minio.endpoint,
        insecure: true,
        secretRef: { name: "minio" },
        helmRepository: {},
      },
    },
  });
  const url = `${controller.url}/helm/${NS}/repo`;
  const text = await waitFor(
    "the repository index",
    async () => {
      const res = await fetch(`${url}/index.yaml`);
      return res.status === 200 ? res.text() : undefined;
    },
    { timeoutMs: 60_000, context: () => controller.logs().slice(-3000) },
  );
  const index = parse(text) as { entries: Record<string, { version: string; digest: string }[]> };
  const digest = createHash("sha256").update(bytes).digest("hex");
  assert.deepEqual(
    index.entries.kubechart?.map((e) => [e.version, e.digest]),
    [["1.4.2", digest]],
  );
  await helm("repo", "add", "kube", url);
  const dest = path.join(helm.home, "pulled");
  await mkdir(dest, { recursive: true });
  await helm("pull", "kube/kubechart", "--destination", dest);
  const pulled = await readFile(path.join(dest, "kubechart-1.4.2.tgz"));
  assert.equal(createHash("sha256").update(pulled).digest("hex"), digest);
  const { stdout } = await helm("template", "r", path.join(dest, "kubechart-1.4.2.tgz"));
  assert.match(stdout, /name: r-kubechart/);

  // Deleting the Bucket stops serving it and removes its repository views with its artifacts.
  const views = path.join(work, "storage", "helm", NS, "repo");
  assert.ok(existsSync(views), "the view folder exists while the Bucket does");
  await admin.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    namespace: NS,
    plural: "buckets",
    name: "repo",
  });
  await waitFor("404 and no view folder after deletion", async () => {
    const res = await fetch(`${url}/index.yaml`);
    return res.status === 404 && !existsSync(views);
  });
});
