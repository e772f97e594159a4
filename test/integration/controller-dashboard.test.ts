// The controller's dashboard against a real kube-apiserver and MinIO: the read API and the page list the Buckets
// with their Ready state; reconcile/suspend are refused without --dashboard-writes, need the token with it, and
// then patch the Bucket object (the requestedAt annotation, spec.suspend).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { CRD_FILE } from "../../src/install/deploy-files.js";
import type { ControllerBucketView } from "../../src/kube/dashboard-view.js";
import { launchChromium } from "../support/browser.js";
import { runCli } from "../support/cli.js";
import { startController, type ControllerProcess } from "../support/controller.js";
import { KUBECTL_BIN, startKube, type KubeServer } from "../support/kube.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUCKETS = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "buckets" };
const NS = "team-a";
const TOKEN = "dashboard-test-token";

let kube: KubeServer;
let minio: MinioServer;
let controller: ControllerProcess | undefined;
let work: string;
let objects: CustomObjectsApi;

const controllerArgs = (...extra: string[]): string[] => [
  "--kubeconfig",
  kube.kubeconfigPath,
  "--storage-path",
  path.join(work, "controller"),
  "--no-leader-elect",
  ...extra,
];

type List = { items: ControllerBucketView[] };

const getJson = async (url: string): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
};

const post = async (url: string, token?: string): Promise<{ status: number; body: { error?: string } }> => {
  const res = await fetch(url, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as { error?: string } };
};

const stored = async (
  name: string,
): Promise<{ metadata: { annotations?: Record<string, string> }; spec: { suspend?: boolean } }> =>
  (await objects.getNamespacedCustomObject({ ...BUCKETS, namespace: NS, name })) as {
    metadata: { annotations?: Record<string, string> };
    spec: { suspend?: boolean };
  };

const ready = (view: ControllerBucketView | undefined): string | undefined =>
  view?.status.conditions.find((c) => c.type === "Ready")?.status;

before(async () => {
  work = await makeTempDir("controller-dashboard");
  [kube, minio] = await Promise.all([startKube(), startMinio()]);
  await promisify(execFile)(KUBECTL_BIN, [
    "--kubeconfig",
    kube.kubeconfigPath,
    "apply",
    "-f",
    path.join(repoRoot, CRD_FILE),
  ]);
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await waitFor("CRD Established", async () => {
    const crd = await ext.readCustomResourceDefinition({ name: "buckets.source.toolkit.fluxcd.io" });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
  objects = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: { name: "minio" },
      stringData: { accesskey: minio.accessKey, secretkey: minio.secretKey },
    },
  });
  await minio.createBucket("dash");
  await minio.client.send(
    new PutObjectCommand({ Bucket: "dash", Key: "app.yaml", Body: "kind: ConfigMap\n" }),
  );
  for (const [name, bucketName] of [
    ["good", "dash"],
    ["broken", "no-such-bucket"],
  ] as const)
    await objects.createNamespacedCustomObject({
      ...BUCKETS,
      namespace: NS,
      body: {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "Bucket",
        metadata: { name },
        spec: {
          interval: "10m",
          provider: "generic",
          bucketName,
          endpoint: minio.endpoint,
          insecure: true,
          secretRef: { name: "minio" },
        },
      },
    });
  controller = await startController(controllerArgs());
});

after(async () => {
  await controller?.stop();
  await Promise.all([kube?.stop(), minio?.stop()]);
  if (work) await removeDir(work);
});

test("GET /api/buckets lists both Buckets with Ready True (good) and False (broken); GET …/<ns>/<name> answers one, 404 for an unknown one", async () => {
  await waitFor("both Buckets reconciled", async () => {
    const body = (await getJson(`${controller?.url}/api/buckets`)).body as List;
    return (
      body.items.length === 2 && body.items.every((b) => ready(b) !== undefined && ready(b) !== "Unknown")
    );
  });
  const body = (await getJson(`${controller?.url}/api/buckets`)).body as List;
  const states = Object.fromEntries(body.items.map((b) => [`${b.namespace}/${b.name}`, ready(b)]));
  assert.deepEqual(states, { "team-a/good": "True", "team-a/broken": "False" });
  const one = (await getJson(`${controller?.url}/api/buckets/${NS}/good`)) as {
    status: number;
    body: ControllerBucketView;
  };
  assert.equal(one.status, 200);
  assert.equal(one.body.suspended, false);
  assert.match(one.body.status.artifact?.revision ?? "", /^sha256:/);
  assert.equal((await getJson(`${controller?.url}/api/buckets/${NS}/nope`)).status, 404);
});

test("without --dashboard-writes, POST reconcile and suspend answer 403 naming the flag and leave the object unchanged", async () => {
  for (const verb of ["reconcile", "suspend"]) {
    const answer = await post(`${controller?.url}/api/buckets/${NS}/good/${verb}`, TOKEN);
    assert.equal(answer.status, 403);
    assert.match(answer.body.error ?? "", /--dashboard-writes/);
  }
  const obj = await stored("good");
  assert.equal(obj.spec.suspend, undefined);
  assert.equal(obj.metadata.annotations?.["reconcile.fluxcd.io/requestedAt"], undefined);
});

test("with --dashboard-writes and --api-token-file: 401 without the token; with it, reconcile sets requestedAt and suspend/resume set spec.suspend", async () => {
  await controller?.stop();
  const tokenFile = path.join(work, "token");
  await writeFile(tokenFile, `${TOKEN}\n`);
  controller = await startController(controllerArgs("--dashboard-writes", "--api-token-file", tokenFile));
  const base = `${controller.url}/api/buckets/${NS}/good`;
  await waitFor("the cache has the Bucket", async () => (await getJson(base)).status === 200);

  const refused = await post(`${base}/suspend`);
  assert.equal(refused.status, 401);
  assert.equal((await stored("good")).spec.suspend, undefined);

  const reconcile = await post(`${base}/reconcile`, TOKEN);
  assert.equal(reconcile.status, 202);
  const requestedAt = (reconcile.body as { requestedAt?: string }).requestedAt;
  assert.ok(requestedAt);
  assert.equal((await stored("good")).metadata.annotations?.["reconcile.fluxcd.io/requestedAt"], requestedAt);

  assert.equal((await post(`${base}/suspend`, TOKEN)).status, 200);
  assert.equal((await stored("good")).spec.suspend, true);
  await waitFor(
    "the API shows it suspended",
    async () => ((await getJson(base)).body as ControllerBucketView).suspended,
  );
  assert.equal((await post(`${base}/resume`, TOKEN)).status, 200);
  assert.equal((await stored("good")).spec.suspend, false);
});

test("the controller's dashboard page lists both Buckets with their state, shows a suspend live, and a Bucket's page says what the controller does not serve (Chromium)", async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${controller?.url}/`);
    await page.locator('tr[data-bucket="team-a/good"]').waitFor();
    await page.locator('tr[data-bucket="team-a/broken"]').waitFor();
    assert.equal(
      await page.locator('tr[data-bucket="team-a/good"]').getByTestId("state").textContent(),
      "Ready",
    );
    assert.equal(
      await page.locator('tr[data-bucket="team-a/broken"]').getByTestId("state").textContent(),
      "Failing",
    );

    // Pushed over the event stream: a suspend through the API shows on the open page without a reload.
    assert.equal((await post(`${controller?.url}/api/buckets/${NS}/good/suspend`, TOKEN)).status, 200);
    await page
      .locator('tr[data-bucket="team-a/good"] [data-testid="state"]', { hasText: "Suspended" })
      .waitFor();
    assert.equal((await post(`${controller?.url}/api/buckets/${NS}/good/resume`, TOKEN)).status, 200);

    // A Bucket's page: what only `bucketops run` keeps says so in place of the section.
    await page.goto(`${controller?.url}/#/b/team-a/good`);
    await page.locator("#bucket-title").waitFor();
    assert.match((await page.locator("p.error").first().textContent()) ?? "", /not served by the controller/);
  } finally {
    await browser.close();
  }
});

test("controller --dashboard-writes on :0 (beyond loopback) without --api-token-file exits 2 naming the flag", async () => {
  const result = await runCli([
    "controller",
    "--dashboard-writes",
    "--storage-addr",
    ":0",
    "--kubeconfig",
    kube.kubeconfigPath,
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--api-token-file/);
});
