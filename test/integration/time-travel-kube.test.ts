// `bucketops pin` / `unpin` in a cluster: a merge patch of a Bucket object's spec.asOf on a real kube-apiserver
// (the CRD installed from deploy/, as users do; no controller runs). A revision is resolved through the history of
// the Bucket as the cluster holds it (its spec and its Secret), on a versioned MinIO bucket.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { PutBucketVersioningCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { writeFile } from "node:fs/promises";
import type { ChangePointJson } from "../../src/engine/time-travel.js";
import { runCli } from "../support/cli.js";
import { startKube, type KubeServer } from "../support/kube.js";
import { installBucketCrd } from "../support/bucket-crd.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";

const BUCKETS = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "buckets" };

let kube: KubeServer;
let minio: MinioServer;
let work: string;
let objects: CustomObjectsApi;

const spec = (): Record<string, unknown> => ({
  interval: "5m",
  provider: "generic",
  bucketName: "cluster-history",
  prefix: "deploy/",
  endpoint: minio.endpoint,
  insecure: true,
  secretRef: { name: "minio" },
});

async function bucketSpec(name: string): Promise<Record<string, unknown>> {
  const obj = (await objects.getNamespacedCustomObject({ ...BUCKETS, namespace: "default", name })) as {
    spec: Record<string, unknown>;
  };
  return obj.spec;
}

const cli = (...args: string[]): ReturnType<typeof runCli> =>
  runCli([...args, "--cache-dir", path.join(work, "cache")]);

before(async () => {
  work = await makeTempDir("tt-kube");
  [kube, minio] = await Promise.all([startKube(), startMinio()]);
  await installBucketCrd(kube);
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  objects = kc.makeApiClient(CustomObjectsApi);
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: "default",
    body: {
      metadata: { name: "minio" },
      stringData: { accesskey: minio.accessKey, secretkey: minio.secretKey },
    },
  });
  await objects.createNamespacedCustomObject({
    ...BUCKETS,
    namespace: "default",
    body: {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "Bucket",
      metadata: { name: "app", namespace: "default" },
      spec: spec(),
    },
  });
  await minio.createBucket("cluster-history");
  await minio.client.send(
    new PutBucketVersioningCommand({
      Bucket: "cluster-history",
      VersioningConfiguration: { Status: "Enabled" },
    }),
  );
  await minio.client.send(
    new PutObjectCommand({ Bucket: "cluster-history", Key: "deploy/app.yaml", Body: "kind: ConfigMap\n" }),
  );
});

after(async () => {
  await Promise.all([kube?.stop(), minio?.stop()]);
  if (work) await removeDir(work);
});

test("pin --kubeconfig sets spec.asOf of the Bucket object (the rest of its spec kept) and unpin removes it", async () => {
  const before = await bucketSpec("app");
  const pinned = await cli(
    "pin",
    "app",
    "--to",
    "2026-03-04T05:06:07+02:00",
    "--kubeconfig",
    kube.kubeconfigPath,
    "-n",
    "default",
  );
  assert.equal(pinned.code, 0, pinned.stderr);
  assert.match(pinned.stdout, /Bucket default\/app: spec\.asOf set to 2026-03-04T03:06:07\.000Z/);
  assert.deepEqual(await bucketSpec("app"), { ...before, asOf: "2026-03-04T03:06:07.000Z" });

  const unpinned = await runCli(["unpin", "app", "--kubeconfig", kube.kubeconfigPath, "--context", "admin"]);
  assert.equal(unpinned.code, 0, unpinned.stderr);
  assert.match(unpinned.stdout, /spec\.asOf removed/);
  assert.deepEqual(await bucketSpec("app"), before);
});

test("pin --kubeconfig --to <revision> resolves it through the history of the cluster's Bucket (its spec and Secret)", async () => {
  const file = path.join(work, "app.yaml");
  // The same Bucket as a YAML file, to learn the history's change point with the CLI.
  await writeFile(
    file,
    `apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: app, namespace: default}\nspec: ${JSON.stringify(
      { ...spec(), secretRef: { name: "minio" } },
    )}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: minio, namespace: default}\nstringData: ${JSON.stringify(
      { accesskey: minio.accessKey, secretkey: minio.secretKey },
    )}\n`,
  );
  const history = await cli("history", file, "-o", "json");
  assert.equal(history.code, 0, history.stderr);
  const [point] = JSON.parse(history.stdout) as ChangePointJson[];
  assert.ok(point, "one change point");

  const r = await cli("pin", "app", "--to", point.revision.slice(0, 16), "--kubeconfig", kube.kubeconfigPath);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await bucketSpec("app")).asOf, point.time);
});

test("pin of a Bucket the cluster does not have, or with an unknown --context, exits 1 naming it", async () => {
  const missing = await cli(
    "pin",
    "nope",
    "--to",
    "2026-03-04T05:06:07Z",
    "--kubeconfig",
    kube.kubeconfigPath,
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Bucket default\/nope not found in the cluster/);
  const context = await runCli([
    "unpin",
    "app",
    "--kubeconfig",
    kube.kubeconfigPath,
    "--context",
    "elsewhere",
  ]);
  assert.equal(context.code, 1);
  assert.match(context.stderr, /no context elsewhere in the kubeconfig/);
});
