// Bucket events on the Kubernetes controller's server: a real kube-apiserver + etcd and MinIO. An S3 event POSTed
// with the token of a Secret the controller reads through the API (least-privilege RBAC) wakes the Bucket at once
// while its interval is 1h; a wrong token is refused and wakes nothing.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1ClusterRole,
} from "@kubernetes/client-node";
import type { BucketStatus } from "../../src/api/status.js";
import { installObjects } from "../../src/install/manifests.js";
import { startController, type ControllerProcess } from "../support/controller.js";
import { s3Notification, s3Record } from "../support/hook-payloads.js";
import { startKube, type KubeServer } from "../support/kube.js";
import { installBucketCrd } from "../support/bucket-crd.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor as pollUntil } from "../support/wait.js";

const NS = "flux-system";
const GROUP = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "buckets" };
const TOKEN = "controller-hook-token";

let kube: KubeServer;
let minio: MinioServer;
let work: string;
let objects: CustomObjectsApi;
let controller: ControllerProcess;

interface BucketObject {
  status?: Partial<BucketStatus>;
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> =>
  pollUntil(what, probe, {
    timeoutMs: 30_000,
    intervalMs: 50,
    context: () => controller.logs().slice(-3000),
  });

async function status(name: string): Promise<Partial<BucketStatus> | undefined> {
  const b = (await objects.getNamespacedCustomObject({ ...GROUP, namespace: NS, name })) as BucketObject;
  return b.status;
}

before(async () => {
  work = await makeTempDir("ctrl-hooks");
  [kube, minio] = await Promise.all([startKube(), startMinio()]);
  await minio.createBucket("hooked");
  await minio.putObjects("hooked", [
    ["apps/a.yaml", "a: 1\n"],
    ["infra/i.yaml", "i: 1\n"],
  ]);
  const admin = new KubeConfig();
  admin.loadFromFile(kube.kubeconfigPath);
  objects = admin.makeApiClient(CustomObjectsApi);
  const core = admin.makeApiClient(CoreV1Api);
  await installBucketCrd(kube);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  // The install manifests' ClusterRole (Secrets: get only), bound to the unprivileged controller identity.
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const clusterRole = installObjects({ namespace: NS, image: "unused" }).find(
    (o) => o.kind === "ClusterRole",
  ) as V1ClusterRole;
  await rbac.createClusterRole({ body: clusterRole });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: "bucketops-hooks-test" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: clusterRole.metadata?.name ?? "",
      },
      subjects: [{ kind: "User", name: kube.controller.user, apiGroup: "rbac.authorization.k8s.io" }],
    },
  });
  for (const [name, stringData] of [
    ["minio", { accesskey: minio.accessKey, secretkey: minio.secretKey }],
    ["bucket-hooks", { token: TOKEN }],
  ] as const)
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData } });
  for (const [name, prefix] of [
    ["hooked-apps", "apps/"],
    ["hooked-infra", "infra/"],
  ])
    await objects.createNamespacedCustomObject({
      ...GROUP,
      namespace: NS,
      body: {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "Bucket",
        metadata: { name },
        spec: {
          interval: "1h",
          provider: "generic",
          bucketName: "hooked",
          prefix,
          endpoint: minio.endpoint,
          insecure: true,
          secretRef: { name: "minio" },
        },
      },
    });
  controller = await startController(
    [
      "--kubeconfig",
      kube.controller.kubeconfigPath,
      "--storage-path",
      path.join(work, "storage"),
      "--no-leader-elect",
      "--hook-secret",
      `s3=${NS}/bucket-hooks`,
      "--log-level",
      "debug",
    ],
    {},
  );
});

after(async () => {
  await controller?.kill();
  await Promise.all([kube?.stop(), minio?.stop()]);
  if (work) await removeDir(work);
});

/** Finished reconciles of a Bucket, from the controller's /metrics. */
async function reconciles(name: string): Promise<number> {
  const text = await (await fetch(`${controller.url}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith("gotk_reconcile_duration_seconds_count{") && l.includes(`name="${name}"`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

const post = (key: string, authorization: string): Promise<Response> =>
  fetch(`${controller.url}/hooks/s3`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: s3Notification(s3Record("hooked", key)),
  });

test("an S3 event POSTed to the controller with the Secret's token reconciles its Bucket at once; a wrong token wakes nothing", async () => {
  const first = await waitFor("the first artifacts", async () => {
    const apps = (await status("hooked-apps"))?.artifact?.revision;
    const infra = (await status("hooked-infra"))?.artifact?.revision;
    return apps &&
      infra &&
      (await reconciles("hooked-apps")) === 1 &&
      (await reconciles("hooked-infra")) === 1
      ? apps
      : undefined;
  });
  await minio.putObjects("hooked", [
    ["apps/b.yaml", "b: 1\n"],
    ["infra/j.yaml", "j: 1\n"],
  ]);

  const refused = await post("infra/j.yaml", "Bearer wrong-token");
  assert.equal(refused.status, 401);
  const sent = Date.now();
  const res = await post("apps/b.yaml", `Bearer ${TOKEN}`);
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: [`${NS}/hooked-apps`], events: 1, ignored: 0 });
  const next = await waitFor("a new artifact", async () => {
    const revision = (await status("hooked-apps"))?.artifact?.revision;
    return revision !== undefined && revision !== first && (await reconciles("hooked-apps")) === 2
      ? revision
      : undefined;
  });
  const latency = Date.now() - sent;
  assert.notEqual(next, first);
  assert.ok(latency < 5000, `the event took ${latency} ms to publish`);
  const runs = controller
    .logs()
    .split("\n")
    .filter((l) => l.includes('"reconciling for bucket events"'))
    .map((l) => JSON.parse(l) as { bucket: string; keys: string[] });
  assert.deepEqual(
    runs.map((r) => [r.bucket, r.keys]),
    [[`${NS}/hooked-apps`, ["apps/b.yaml"]]],
    "the reconcile got the event's key as ReconcileInput.changes",
  );
  // Had the refused event been accepted, its Bucket's window would have opened (and closed) first.
  assert.equal(await reconciles("hooked-infra"), 1, "the refused event woke nothing");
});
