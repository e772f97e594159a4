// The Kubernetes controller against a real kube-apiserver + etcd and a real MinIO: CRD, RBAC (least privilege),
// seed documents applied verbatim with kubectl, status, events, Secrets, suspend, requestedAt, finalizer,
// leader election and sharding.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  ApiException,
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Role,
  type V1ClusterRole,
} from "@kubernetes/client-node";
import { CRD_FILE } from "../../src/install/deploy-files.js";
import type { BucketStatus } from "../../src/api/status.js";
import { extractTarGz } from "../../src/artifact/extract.js";
import { installObjects } from "../../src/install/manifests.js";
import { startController, type ControllerProcess } from "../support/controller.js";
import { KUBECTL_BIN, startKube, type KubeServer } from "../support/kube.js";
import { startFakeGcs, type FakeGcsServer } from "../support/fake-gcs.js";
import { serviceAccountJson } from "../support/gcp-key.js";
import { SEED_DOCUMENTS } from "../support/seeds.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor as pollUntil } from "../support/wait.js";

const NS = "flux-system";
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const GROUP = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "buckets" };
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

let kube: KubeServer;
let minio: MinioServer;
let gcs: FakeGcsServer;
let work: string;
let admin: KubeConfig;
let objects: CustomObjectsApi;
let core: CoreV1Api;
/** The main controller (leader of the default Lease), started in before() and running for every test. */
let main: ControllerProcess;
/** Every controller started, for cleanup and for the logs shown on a timeout. */
const controllers: ControllerProcess[] = [];
const files: Record<string, string> = {
  "path/to/manifests/app/deploy.yaml": "kind: Deployment\nmetadata: {name: app}\n",
  "path/to/manifests/ns.yaml": "kind: Namespace\nmetadata: {name: demo}\n",
};

interface BucketObject {
  metadata: {
    name: string;
    generation?: number;
    finalizers?: string[];
    annotations?: Record<string, string>;
  };
  status?: Partial<BucketStatus>;
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(KUBECTL_BIN, ["--kubeconfig", kube.kubeconfigPath, ...args]);
  return stdout;
}

async function applyYaml(name: string, yaml: string): Promise<void> {
  const file = path.join(work, `${name}.yaml`);
  await writeFile(file, yaml);
  await kubectl("apply", "-f", file);
}

async function getBucket(name: string): Promise<BucketObject | undefined> {
  try {
    return (await objects.getNamespacedCustomObject({ ...GROUP, namespace: NS, name })) as BucketObject;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw error;
  }
}

function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  return pollUntil(what, probe, {
    timeoutMs,
    intervalMs: 200,
    context: () => controllers.map((c) => c.logs().slice(-3000)).join("\n"),
  });
}

const readyStatus = (b: BucketObject | undefined): string | undefined =>
  b?.status?.conditions?.find((c) => c.type === "Ready")?.status;

async function waitReady(
  name: string,
  predicate: (b: BucketObject) => boolean = () => true,
): Promise<BucketObject> {
  return waitFor(`${name} Ready=True`, async () => {
    const b = await getBucket(name);
    return b &&
      readyStatus(b) === "True" &&
      b.status?.observedGeneration === b.metadata.generation &&
      predicate(b)
      ? b
      : undefined;
  });
}

async function requestReconcile(name: string): Promise<string> {
  const at = new Date().toISOString();
  await objects.patchNamespacedCustomObject(
    {
      ...GROUP,
      namespace: NS,
      name,
      body: { metadata: { annotations: { "reconcile.fluxcd.io/requestedAt": at } } },
    },
    mergePatch,
  );
  return at;
}

async function download(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

before(async () => {
  work = await makeTempDir("ctrl");
  [kube, minio, gcs] = await Promise.all([startKube(), startMinio(), startFakeGcs()]);
  await minio.createBucket("my-flux-bucket");
  await minio.putObjects("my-flux-bucket", Object.entries(files));
  await gcs.createBucket("my-flux-bucket");
  await gcs.putObjects("my-flux-bucket", Object.entries(files));
  admin = new KubeConfig();
  admin.loadFromFile(kube.kubeconfigPath);
  objects = admin.makeApiClient(CustomObjectsApi);
  core = admin.makeApiClient(CoreV1Api);

  // The generated CRD, established.
  const ext = admin.makeApiClient(ApiextensionsV1Api);
  // Applied from deploy/ with kubectl, as users do (client-node's typed models would drop the x-kubernetes-* keys).
  await kubectl("apply", "-f", path.join(repoRoot, CRD_FILE));
  await waitFor("CRD Established", async () => {
    const crd = await ext.readCustomResourceDefinition({ name: "buckets.source.toolkit.fluxcd.io" });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
  await core.createNamespace({ body: { metadata: { name: NS } } });

  // The install manifests' RBAC, bound to the test's unprivileged "controller" identity: least privilege is tested.
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const install = installObjects({ namespace: NS, image: "unused" });
  const user = { kind: "User", name: kube.controller.user, apiGroup: "rbac.authorization.k8s.io" };
  const clusterRole = install.find((o) => o.kind === "ClusterRole") as V1ClusterRole;
  const role = install.find((o) => o.kind === "Role") as V1Role;
  await rbac.createClusterRole({ body: clusterRole });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: "bucketops-test" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: clusterRole.metadata?.name ?? "",
      },
      subjects: [user],
    },
  });
  await rbac.createNamespacedRole({ namespace: NS, body: role });
  await rbac.createNamespacedRoleBinding({
    namespace: NS,
    body: {
      metadata: { name: "bucketops-test" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata?.name ?? "" },
      subjects: [user],
    },
  });
  await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: { name: "s3-credentials" },
      stringData: { accesskey: minio.accessKey, secretkey: minio.secretKey },
    },
  });
  await core.createNamespacedSecret({
    namespace: NS,
    body: { metadata: { name: "gcs-credentials" }, stringData: { gcp_credentials: serviceAccountJson() } },
  });
  main = await startController(mainControllerArgs("main"), controllerEnv());
  controllers.push(main);
});

after(async () => {
  for (const c of controllers) await c.kill();
  await Promise.all([kube?.stop(), minio?.stop(), gcs?.stop()]);
  if (work) await removeDir(work);
});

// Main controllers follow Flux's sharding convention: they skip Buckets that carry a shard key.
function mainControllerArgs(name: string): string[] {
  return [
    "--kubeconfig",
    kube.controller.kubeconfigPath,
    "--storage-path",
    path.join(work, name),
    "--watch-label-selector",
    "!sharding.fluxcd.io/key",
    "--leader-election-namespace",
    NS,
    "--leader-election-lease-duration",
    "3s",
    "--leader-election-renew-deadline",
    "2s",
    "--leader-election-retry-period",
    "500ms",
    "--log-level",
    "debug",
  ];
}
// The seed's s3:// and gs:// URLs name AWS and Google; the SDKs' standard overrides point them at the local
// MinIO and fake-gcs-server instead, so the documents are applied exactly as written.
const controllerEnv = (): NodeJS.ProcessEnv => ({
  AWS_ENDPOINT_URL_S3: minio.url,
  STORAGE_EMULATOR_HOST: gcs.url,
});

test("the generated CRD is accepted and rejects invalid specs with field-level messages", async () => {
  const create = (name: string, spec: unknown): Promise<unknown> =>
    objects.createNamespacedCustomObject({
      ...GROUP,
      namespace: NS,
      body: { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "Bucket", metadata: { name }, spec },
    });
  await assert.rejects(
    create("bad-interval", { interval: "5 minutes", url: "s3://b/p" }),
    (error: unknown) => {
      assert.ok(error instanceof ApiException);
      assert.equal(error.code, 422);
      assert.match(String(error.body), /spec\.interval/);
      return true;
    },
  );
  await assert.rejects(
    create("both-auth", {
      interval: "5m",
      bucketName: "b",
      endpoint: "e",
      provider: "aws",
      secretRef: { name: "s" },
      serviceAccountName: "sa",
    }),
    (error: unknown) => {
      assert.ok(error instanceof ApiException);
      assert.match(String(error.body), /set spec\.secretRef or spec\.serviceAccountName, not both/);
      return true;
    },
  );
  await assert.rejects(
    create("no-bucket", { interval: "5m", endpoint: "e" }),
    /spec\.bucketName, or spec\.url/,
  );
});

test("the seed's two documents applied verbatim turn Ready and serve the expected artifacts", async () => {
  await applyYaml("seed", SEED_DOCUMENTS);
  const gcsBucket = await waitReady("my-gcs-bucket");
  const bucket = await waitReady("my-s3-bucket");
  // Same files from two clouds: the same deterministic artifact.
  assert.equal(gcsBucket.status?.artifact?.digest, bucket.status?.artifact?.digest);
  const artifact = bucket.status?.artifact;
  assert.ok(artifact);
  assert.ok(bucket.metadata.finalizers?.includes("finalizers.fluxcd.io"));
  assert.equal(bucket.status?.url, `${main.url}/bucket/flux-system/my-s3-bucket/latest.tar.gz`);
  const { status, body } = await download(artifact.url);
  assert.equal(status, 200);
  assert.equal(`sha256:${createHash("sha256").update(body).digest("hex")}`, artifact.digest);
  const out = path.join(work, "seed-out");
  const extracted = await extractTarGz(Readable.from(body), out);
  assert.deepEqual(extracted.sort(), Object.keys(files).sort());

  // A NewArtifact event annotated like Flux's, and kubectl's printer columns.
  const events = await core.listNamespacedEvent({
    namespace: NS,
    fieldSelector: "involvedObject.name=my-s3-bucket",
  });
  const newArtifact = events.items.find((e) => e.reason === "NewArtifact");
  assert.equal(newArtifact?.metadata?.annotations?.["source.toolkit.fluxcd.io/revision"], artifact.revision);
  assert.equal(newArtifact?.metadata?.annotations?.["source.toolkit.fluxcd.io/digest"], artifact.digest);
  const table = await kubectl("get", "buckets", "-n", NS);
  assert.match(table, /^NAME\s+ENDPOINT\s+AGE\s+READY\s+STATUS/m);
  assert.match(table, /my-s3-bucket\s+.*True\s+stored artifact for revision 'sha256:/);

  const metrics = await (await fetch(`${main.url}/metrics`)).text();
  assert.match(
    metrics,
    /gotk_reconcile_condition\{kind="Bucket",name="my-s3-bucket",namespace="flux-system",type="Ready",status="True"\} 1/,
  );
});

test("Flux's v1 long form turns Ready; requestedAt triggers a reconcile and is echoed", async () => {
  await minio.putObjects("my-flux-bucket", [["long-form/app/deploy.yaml", "kind: Deployment\n"]]);
  await applyYaml(
    "long",
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: long-form, namespace: flux-system}
spec:
  provider: generic
  bucketName: my-flux-bucket
  endpoint: ${minio.endpoint}
  insecure: true
  prefix: long-form/app
  interval: 10m
  secretRef: {name: s3-credentials}
`,
  );
  const first = await waitReady("long-form");
  await minio.client.send(
    new PutObjectCommand({ Bucket: "my-flux-bucket", Key: "long-form/app/extra.yaml", Body: "x: 1\n" }),
  );
  const at = await requestReconcile("long-form");
  const second = await waitReady("long-form", (b) => b.status?.lastHandledReconcileAt === at);
  assert.notEqual(second.status?.artifact?.revision, first.status?.artifact?.revision);
});

test("a Secret change is picked up; a bad Secret fails clearly while the old artifact is still served", async () => {
  await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: { name: "rotating" },
      stringData: { accesskey: minio.accessKey, secretkey: minio.secretKey },
    },
  });
  await applyYaml(
    "rotating",
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: rotating, namespace: flux-system}
spec: {interval: 2s, provider: generic, bucketName: my-flux-bucket, endpoint: "${minio.endpoint}", insecure: true, prefix: path/, secretRef: {name: rotating}}
`,
  );
  const good = await waitReady("rotating");
  await core.patchNamespacedSecret(
    { namespace: NS, name: "rotating", body: { stringData: { secretkey: "wrong-secret-value" } } },
    mergePatch,
  );
  const failed = await waitFor("Ready=False", async () => {
    const b = await getBucket("rotating");
    return readyStatus(b) === "False" ? b : undefined;
  });
  const ready = failed?.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.reason, "AuthenticationFailed");
  assert.ok(!JSON.stringify(failed).includes("wrong-secret-value"), "the Secret value never reaches status");
  assert.equal(
    failed?.status?.artifact?.digest,
    good.status?.artifact?.digest,
    "the last good artifact stays in status",
  );
  assert.equal((await download(good.status?.artifact?.url ?? "")).status, 200, "and is still served");
  await core.patchNamespacedSecret(
    { namespace: NS, name: "rotating", body: { stringData: { secretkey: minio.secretKey } } },
    mergePatch,
  );
  await waitReady("rotating");
});

/** The value of `metric` for the Bucket `name` in a controller's /metrics, summed over its other labels. */
async function bucketMetric(url: string, metric: string, name: string, extra = ""): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`) || !line.includes(`name="${name}"`) || !line.includes(extra)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** List requests the main controller sent for a Bucket: one or more per reconcile that ran. */
const listRequests = (name: string): Promise<number> =>
  bucketMetric(main.url, "bucketops_provider_requests_total", name, 'operation="list"');

test("suspend stops reconciles; deleting a Bucket removes its artifacts", async () => {
  // Two Buckets on a 2 s interval over the same prefix; one is suspended, its twin keeps the clock.
  await minio.putObjects("my-flux-bucket", [["suspend/a.yaml", "a: 1\n"]]);
  const doc = (name: string): string => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: flux-system}
spec: {interval: 2s, provider: generic, bucketName: my-flux-bucket, endpoint: "${minio.endpoint}", insecure: true, prefix: suspend/, secretRef: {name: s3-credentials}}
`;
  await applyYaml("suspend", [doc("suspended"), doc("suspend-twin")].join("---\n"));
  const before = await waitReady("suspended");
  await waitReady("suspend-twin");
  await objects.patchNamespacedCustomObject(
    { ...GROUP, namespace: NS, name: "suspended", body: { spec: { suspend: true } } },
    mergePatch,
  );
  // Once the twin has reconciled twice after the patch, a reconcile of the suspended Bucket that was in flight
  // when it was patched has finished (same interval, one controller).
  const twinAt = async (n: number): Promise<void> => {
    const from = await listRequests("suspend-twin");
    await waitFor(`suspend-twin to reconcile ${n} more times`, async () =>
      (await listRequests("suspend-twin")) >= from + n ? true : undefined,
    );
  };
  await twinAt(2);
  const listedBefore = await listRequests("suspended");
  assert.ok(listedBefore > 0, "the suspended Bucket was reconciled before the suspension");

  // A new object and an explicit request: neither may reconcile the suspended Bucket.
  await minio.client.send(
    new PutObjectCommand({ Bucket: "my-flux-bucket", Key: "suspend/new.yaml", Body: "s: 1\n" }),
  );
  const at = await requestReconcile("suspended");
  await twinAt(3); // three more interval periods
  assert.equal(await listRequests("suspended"), listedBefore, "no list request for the suspended Bucket");
  const suspended = await getBucket("suspended");
  assert.equal(
    suspended?.status?.artifact?.revision,
    before.status?.artifact?.revision,
    "no new revision while suspended",
  );
  assert.notEqual(
    suspended?.status?.lastHandledReconcileAt,
    at,
    "the request is not handled while suspended",
  );
  const twin = await getBucket("suspend-twin");
  assert.notEqual(
    twin?.status?.artifact?.revision,
    before.status?.artifact?.revision,
    "the twin saw the new object in the same time",
  );

  await objects.patchNamespacedCustomObject(
    { ...GROUP, namespace: NS, name: "suspended", body: { spec: { suspend: false } } },
    mergePatch,
  );
  const resumed = await waitReady(
    "suspended",
    (b) => b.status?.artifact?.revision !== before.status?.artifact?.revision,
  );
  assert.ok((await listRequests("suspended")) > listedBefore, "resuming reconciles again");
  const url = resumed.status?.artifact?.url ?? "";
  assert.equal((await download(url)).status, 200);

  await objects.deleteNamespacedCustomObject({ ...GROUP, namespace: NS, name: "suspended" });
  await objects.deleteNamespacedCustomObject({ ...GROUP, namespace: NS, name: "suspend-twin" });
  await waitFor("Bucket gone", async () => ((await getBucket("suspended")) === undefined ? true : undefined));
  assert.equal((await download(url)).status, 404, "its artifact is no longer served");
});

test("two controllers elect one leader; the standby takes over when the leader dies", async () => {
  // A pair of its own (its own Lease and shard label), so the main controller and other tests are not touched.
  const LEASE = "bucketops-leader-pair";
  const pairArgs = (name: string): string[] => [
    ...mainControllerArgs(name).map((a) =>
      a === "!sharding.fluxcd.io/key" ? "sharding.fluxcd.io/key=leader-pair" : a,
    ),
    "--leader-election-id",
    LEASE,
  ];
  const leases = admin.makeApiClient(CoordinationV1Api);
  const lease = async (): Promise<{ holder?: string; renewTime?: string }> => {
    try {
      const spec = (await leases.readNamespacedLease({ name: LEASE, namespace: NS })).spec;
      const renewTime = spec?.renewTime;
      return {
        holder: spec?.holderIdentity,
        renewTime: renewTime instanceof Date ? renewTime.toISOString() : String(renewTime),
      };
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return {};
      throw error;
    }
  };
  const first = await startController(pairArgs("leader-a"), controllerEnv());
  controllers.push(first);
  const leaderId = await waitFor("the first controller holds the lease", async () => {
    const { holder } = await lease();
    return holder?.endsWith(`_${first.child.pid}`) ? holder : undefined;
  });
  await applyYaml(
    "led",
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: led, namespace: flux-system, labels: {sharding.fluxcd.io/key: leader-pair}}
spec: {interval: 10m, provider: generic, bucketName: my-flux-bucket, endpoint: "${minio.endpoint}", insecure: true, prefix: path/to/, secretRef: {name: s3-credentials}}
`,
  );
  const led = await waitReady("led");
  assert.ok(led.status?.artifact?.url.startsWith(first.url), "the leader reconciles");

  const standby = await startController(pairArgs("leader-b"), controllerEnv());
  controllers.push(standby);
  // The standby polls the Lease every 500 ms and takes it once it has not been renewed for 3 s. Watch the
  // leader renew it 8 times (over a lease duration) and check the holder at every look.
  const renewals = new Set<string>();
  const holders = new Set<string>();
  await waitFor("8 renewals by the leader while the standby runs", async () => {
    const { holder, renewTime } = await lease();
    holders.add(holder ?? "none");
    if (renewTime !== undefined) renewals.add(renewTime);
    return renewals.size > 8 ? true : undefined;
  });
  assert.deepEqual([...holders], [leaderId], "the standby never took the lease while the leader renewed it");

  await first.kill();
  await waitFor("standby holds the lease", async () =>
    (await lease()).holder?.endsWith(`_${standby.child.pid}`),
  );
  const at = await requestReconcile("led");
  const taken = await waitReady("led", (b) => b.status?.lastHandledReconcileAt === at);
  assert.ok(taken.status?.artifact?.url.startsWith(standby.url), "the new leader serves the artifact");
  await standby.stop();
});

/** A controller without leader election for the Buckets labelled `sharding.fluxcd.io/key=<key>`. */
async function startShardController(key: string, ...extra: string[]): Promise<ControllerProcess> {
  const shard = await startController(
    [
      "--kubeconfig",
      kube.controller.kubeconfigPath,
      "--storage-path",
      path.join(work, key),
      "--no-leader-elect",
      "--watch-label-selector",
      `sharding.fluxcd.io/key=${key}`,
      ...extra,
    ],
    controllerEnv(),
  );
  controllers.push(shard);
  return shard;
}

test("a label selector limits which Buckets a controller sees (Flux sharding)", async () => {
  const shard = await startShardController("shard1");
  await applyYaml(
    "sharded",
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: sharded, namespace: flux-system, labels: {sharding.fluxcd.io/key: shard1}}
spec: {interval: 10m, provider: generic, bucketName: my-flux-bucket, endpoint: "${minio.endpoint}", insecure: true, prefix: path/to/, secretRef: {name: s3-credentials}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: unsharded, namespace: flux-system}
spec: {interval: 10m, provider: generic, bucketName: my-flux-bucket, endpoint: "${minio.endpoint}", insecure: true, prefix: path/to/, secretRef: {name: s3-credentials}}
`,
  );
  const sharded = await waitReady("sharded");
  assert.ok(sharded.status?.artifact?.url.startsWith(shard.url), "reconciled by the shard controller");
  const unsharded = await waitReady("unsharded");
  assert.ok(
    unsharded.status?.artifact?.url.startsWith(main.url),
    "unlabelled Buckets stay with the main controller",
  );
  const shardMetrics = await (await fetch(`${shard.url}/metrics`)).text();
  assert.ok(!shardMetrics.includes('name="unsharded"'), "the shard never reconciled an unlabelled Bucket");
});

test("the Bucket list is paged to the end: more Buckets than one page all turn Ready", async () => {
  const names = ["paged-1", "paged-2", "paged-3", "paged-4", "paged-5"];
  await applyYaml(
    "paged",
    names
      .map(
        (name) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: flux-system, labels: {sharding.fluxcd.io/key: paged}}
spec: {interval: 10m, provider: generic, bucketName: my-flux-bucket, endpoint: "${minio.endpoint}", insecure: true, prefix: path/to/, secretRef: {name: s3-credentials}}
`,
      )
      .join("---\n"),
  );
  // Applied before the controller starts, so its first list has three pages of two and the watch adds nothing.
  const paged = await startShardController("paged", "--list-page-size", "2");
  for (const name of names) {
    const b = await waitReady(name);
    assert.ok(b.status?.artifact?.url.startsWith(paged.url), `${name} reconciled by the paged controller`);
  }
});

test("controller at debug level: no Secret value in Bucket status, events, logs, /metrics or the storage folder", async () => {
  const token = (): string =>
    `T${createHash("sha256").update(Math.random().toString()).digest("hex").slice(0, 23)}`;
  const values = {
    wrongKey: token(),
    wrongSecret: token(),
    lonelyKey: token(),
    extra: token(),
    proxyPassword: token(),
    caJunk: token(),
  };
  const secrets: Record<string, Record<string, string>> = {
    "grep-wrong": { accesskey: values.wrongKey, secretkey: values.wrongSecret, other: values.extra },
    "grep-incomplete": { accesskey: values.lonelyKey },
    "grep-proxy": { address: "http://127.0.0.1:9", username: "u", password: values.proxyPassword },
    "grep-ca": { "ca.crt": `-----BEGIN CERTIFICATE-----\n${values.caJunk}\n-----END CERTIFICATE-----\n` },
  };
  for (const [name, stringData] of Object.entries(secrets)) {
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name }, stringData } });
  }
  const spec = (extra: string): string =>
    `{interval: 2s, provider: generic, bucketName: my-flux-bucket, endpoint: "${minio.endpoint}", insecure: true, ${extra}}`;
  const buckets: Record<string, string> = {
    "grep-wrong": spec("secretRef: {name: grep-wrong}"),
    "grep-incomplete": spec("secretRef: {name: grep-incomplete}"),
    "grep-proxy": spec("secretRef: {name: s3-credentials}, proxySecretRef: {name: grep-proxy}"),
    "grep-ca": `{interval: 2s, provider: generic, bucketName: my-flux-bucket, endpoint: "${minio.endpoint}", secretRef: {name: s3-credentials}, certSecretRef: {name: grep-ca}}`,
  };
  for (const [name, s] of Object.entries(buckets)) {
    await applyYaml(
      name,
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: ${name}, namespace: ${NS}}\nspec: ${s}\n`,
    );
  }
  for (const name of Object.keys(buckets)) {
    await waitFor(`${name} Ready=False`, async () => {
      const b = await getBucket(name);
      const ready = b?.status?.conditions?.find((c) => c.type === "Ready");
      return ready?.status === "False" ? b : undefined;
    });
  }
  // Two more failed reconciles of each (2 s interval, backoff), so retries and their log lines are searched too.
  const reconciles = (name: string): Promise<number> =>
    bucketMetric(main.url, "gotk_reconcile_duration_seconds_count", name);
  for (const name of Object.keys(buckets)) {
    const before = await reconciles(name);
    await waitFor(`two more reconciles of ${name}`, async () => (await reconciles(name)) >= before + 2);
  }
  const events = await kubectl("get", "events", "-n", NS, "-o", "json");
  assert.ok(
    Object.keys(buckets).every((name) => events.includes(name)),
    "each failing Bucket has events to search",
  );
  const storage: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) await walk(file);
      else if (e.isFile()) storage.push((await readFile(file)).toString("latin1"));
    }
  };
  await walk(path.join(work, "main"));
  const surfaces: Record<string, string> = {
    status: JSON.stringify(await Promise.all(Object.keys(buckets).map((n) => getBucket(n)))),
    events,
    logs: main.logs(),
    metrics: await (await fetch(`${main.url}/metrics`)).text(),
    storage: storage.join("\n"),
  };
  assert.ok(
    mainControllerArgs("main").join(" ").includes("--log-level debug"),
    "the controller logs at debug",
  );
  const needles = Object.values(values).flatMap((v) => [
    v,
    Buffer.from(v).toString("base64").replace(/=+$/, ""),
  ]);
  const hits = Object.entries(surfaces).flatMap(([where, text]) =>
    needles.filter((n) => text.includes(n)).map((n) => `${where}: ${n}`),
  );
  assert.deepEqual(hits, []);
  for (const name of Object.keys(buckets)) {
    await objects.deleteNamespacedCustomObject({ ...GROUP, namespace: NS, name });
  }
});
