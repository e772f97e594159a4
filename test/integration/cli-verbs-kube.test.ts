// The flux-style verbs against a real kube-apiserver (the CRD from deploy/) with `bucketops controller` running
// over a real MinIO: create/get/reconcile/suspend/resume/events/export/delete, -A, the flux-system default, exit
// codes, and `kubectl apply --dry-run=server` accepting `get -o yaml` and `export` from both runtimes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { parse, parseAllDocuments } from "yaml";
import { runArgs, runCli, startServerProcess } from "../support/cli.js";
import { startController, type ControllerProcess } from "../support/controller.js";
import { KUBECTL_BIN, startKube, type KubeServer } from "../support/kube.js";
import { installBucketCrd } from "../support/bucket-crd.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

const BUCKETS = { group: "source.toolkit.fluxcd.io", version: "v1", plural: "buckets" };

let kube: KubeServer;
let minio: MinioServer;
let controller: ControllerProcess | undefined;
let work: string;
let objects: CustomObjectsApi;

/** `bucketops <args> --kubeconfig <admin>`. */
const cli = (...args: string[]): ReturnType<typeof runCli> =>
  runCli([...args, "--kubeconfig", kube.kubeconfigPath]);

/** Runs kubectl with `stdin`; resolves with its exit code and output. */
function kubectl(args: string[], stdin: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL_BIN, ["--kubeconfig", kube.kubeconfigPath, ...args]);
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, out });
    });
    child.stdin.end(stdin);
  });
}

const dryRunApply = (yaml: string): ReturnType<typeof kubectl> =>
  kubectl(["apply", "--dry-run=server", "-f", "-"], yaml);

const put = (key: string, body: string): Promise<unknown> =>
  minio.client.send(new PutObjectCommand({ Bucket: "verbs", Key: key, Body: body }));

const createArgs = (name: string, ...extra: string[]): string[] => [
  "create",
  "source",
  "bucket",
  name,
  "--bucket-name",
  "verbs",
  "--endpoint",
  minio.endpoint,
  "--insecure",
  "--secret-ref",
  "minio",
  "--interval",
  "10m",
  ...extra,
];

before(async () => {
  work = await makeTempDir("cli-verbs-kube");
  [kube, minio] = await Promise.all([startKube(), startMinio()]);
  await installBucketCrd(kube);
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  objects = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  for (const ns of ["flux-system", "team-a"]) {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: "minio" },
        stringData: { accesskey: minio.accessKey, secretkey: minio.secretKey },
      },
    });
  }
  await minio.createBucket("verbs");
  await put("app.yaml", "kind: ConfigMap\nmetadata: {name: one}\n");
  controller = await startController([
    "--kubeconfig",
    kube.kubeconfigPath,
    "--storage-path",
    path.join(work, "controller"),
    "--no-leader-elect",
  ]);
});

after(async () => {
  await controller?.stop();
  await Promise.all([kube?.stop(), minio?.stop()]);
  if (work) await removeDir(work);
});

test("create source bucket applies a v1 Bucket in flux-system (the default namespace), waits for Ready and prints its revision; -n team-a creates another", async () => {
  const created = await cli(...createArgs("podinfo"));
  assert.equal(created.code, 0, `${created.stderr}\n${controller?.logs()}`);
  assert.match(created.stdout, /✔ fetched revision sha256:[0-9a-f]{64}/);
  const stored = (await objects.getNamespacedCustomObject({
    ...BUCKETS,
    namespace: "flux-system",
    name: "podinfo",
  })) as { spec: unknown };
  assert.deepEqual(stored.spec, {
    interval: "10m",
    provider: "generic",
    bucketName: "verbs",
    endpoint: minio.endpoint,
    secretRef: { name: "minio" },
    insecure: true,
    timeout: "60s", // the CRD's default
  });
  const other = await cli(...createArgs("other", "-n", "team-a"));
  assert.equal(other.code, 0, other.stderr);
});

test("get sources bucket: flux-system by default, -A adds NAMESPACE and lists both; the cluster is chosen from $KUBECONFIG without flags", async () => {
  const plain = await cli("get", "sources", "bucket");
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(
    plain.stdout,
    /^NAME\s+REVISION\s+SUSPENDED\s+READY\s+MESSAGE\npodinfo\s+sha256:[0-9a-f]{12}\s+False\s+True\s/,
  );
  assert.doesNotMatch(plain.stdout, /other/);
  const all = await cli("get", "sources", "bucket", "-A");
  assert.match(all.stdout, /^NAMESPACE\s+NAME/);
  assert.match(all.stdout, /\nflux-system\s+podinfo\s/);
  assert.match(all.stdout, /\nteam-a\s+other\s/);
  const fromEnv = await runCli(["get", "sources", "bucket", "podinfo"], {
    env: { KUBECONFIG: kube.kubeconfigPath },
  });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.match(fromEnv.stdout, /\npodinfo\s/);
});

test("get -o yaml (a v1 List) and -o json (one Bucket) from the cluster are accepted by kubectl apply --dry-run=server; export drops status and server fields and is accepted too", async () => {
  const yaml = await cli("get", "sources", "bucket", "-A", "-o", "yaml");
  const list = parse(yaml.stdout) as { kind: string; items: { metadata: Record<string, unknown> }[] };
  assert.equal(list.kind, "List");
  assert.equal(list.items.length, 2);
  const applied = await dryRunApply(yaml.stdout);
  assert.equal(applied.code, 0, applied.out);
  assert.match(
    applied.out,
    /bucket\.source\.toolkit\.fluxcd\.io\/podinfo (configured|unchanged) \(server dry run\)/,
  );

  const json = await cli("get", "sources", "bucket", "podinfo", "-o", "json");
  const one = JSON.parse(json.stdout) as { kind: string; status: unknown };
  assert.equal(one.kind, "Bucket");
  assert.ok(one.status, "get -o json keeps the status");
  assert.equal((await dryRunApply(json.stdout)).code, 0);

  const exported = await cli("export", "source", "bucket", "podinfo");
  assert.equal(exported.code, 0, exported.stderr);
  const [doc] = parseAllDocuments(exported.stdout).map((d) => d.toJS() as Record<string, unknown>);
  assert.deepEqual(Object.keys(doc ?? {}), ["apiVersion", "kind", "metadata", "spec"]);
  assert.deepEqual(doc?.metadata, { name: "podinfo", namespace: "flux-system" });
  const exportApplied = await dryRunApply(exported.stdout);
  assert.equal(exportApplied.code, 0, exportApplied.out);
  const all = parseAllDocuments((await cli("export", "source", "bucket", "--all", "-A")).stdout);
  assert.equal(all.length, 2);
});

test("get -o yaml from a standalone server is accepted by kubectl apply --dry-run=server", async () => {
  const config = path.join(work, "config");
  await mkdir(path.join(config, "data"), { recursive: true });
  await writeFile(path.join(config, "data/a.yaml"), "a: 1\n");
  await writeFile(
    path.join(config, "b.yaml"),
    "apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: local, namespace: flux-system}\nspec: {interval: 5m, url: file://data}\n",
  );
  const server = await startServerProcess(runArgs(config, path.join(work, "storage")));
  try {
    await waitFor("the standalone Bucket is Ready", async () =>
      /\sTrue\s/.test((await runCli(["get", "sources", "bucket", "local", "--server", server.url])).stdout),
    );
    const yaml = await runCli(["get", "sources", "bucket", "--server", server.url, "-o", "yaml"]);
    const applied = await dryRunApply(yaml.stdout);
    assert.equal(applied.code, 0, `${applied.out}\n${yaml.stdout}`);
    assert.match(applied.out, /bucket\.source\.toolkit\.fluxcd\.io\/local created \(server dry run\)/);
  } finally {
    await server.stop();
  }
});

test("reconcile source bucket sets requestedAt, waits for the controller and prints the new revision after an upload", async () => {
  const before = (await cli("get", "sources", "bucket", "podinfo", "-o", "json")).stdout;
  const oldRevision = (JSON.parse(before) as { status: { artifact: { revision: string } } }).status.artifact
    .revision;
  await put("two.yaml", "kind: ConfigMap\nmetadata: {name: two}\n");
  const r = await cli("reconcile", "source", "bucket", "podinfo", "--timeout", "60s");
  assert.equal(r.code, 0, `${r.stderr}\n${controller?.logs()}`);
  const revision = /fetched revision (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
  assert.ok(revision, r.stdout);
  assert.notEqual(revision, oldRevision);
  const obj = (await objects.getNamespacedCustomObject({
    ...BUCKETS,
    namespace: "flux-system",
    name: "podinfo",
  })) as {
    metadata: { annotations: Record<string, string> };
    status: { lastHandledReconcileAt: string };
  };
  assert.equal(
    obj.status.lastHandledReconcileAt,
    obj.metadata.annotations["reconcile.fluxcd.io/requestedAt"],
  );
});

test("suspend patches spec.suspend (get shows True; reconcile exits 1); resume removes it, waits and prints the revision", async () => {
  const s = await cli("suspend", "source", "bucket", "podinfo");
  assert.equal(s.code, 0, s.stderr);
  const spec = async (): Promise<Record<string, unknown>> =>
    (
      (await objects.getNamespacedCustomObject({
        ...BUCKETS,
        namespace: "flux-system",
        name: "podinfo",
      })) as {
        spec: Record<string, unknown>;
      }
    ).spec;
  assert.equal((await spec()).suspend, true);
  assert.match((await cli("get", "sources", "bucket")).stdout, /\npodinfo\s+sha256:\S+\s+True\s/);
  const refused = await cli("reconcile", "source", "bucket", "podinfo");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /is suspended: resume it first/);
  const r = await cli("resume", "source", "bucket", "podinfo", "--timeout", "60s");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /fetched revision sha256:/);
  assert.equal((await spec()).suspend, undefined);
});

test("events --for Bucket/podinfo lists the controller's core/v1 Events of the Bucket", async () => {
  const events = await waitFor("a NewArtifact event", async () => {
    const r = await cli("events", "--for", "Bucket/podinfo");
    return /NewArtifact/.test(r.stdout) ? r : undefined;
  });
  assert.equal(events.code, 0);
  assert.match(events.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
  assert.match(events.stdout, /Normal\s+NewArtifact\s+Bucket\/podinfo\s/);
  assert.doesNotMatch(events.stdout, /Bucket\/other/);
});

test("exit codes: unknown Bucket 1, unknown context 2, unreachable API server 3, delete without a terminal or --silent 2", async () => {
  const missing = await cli("get", "sources", "bucket", "nope");
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not found/);
  const context = await cli("get", "sources", "bucket", "--context", "nope");
  assert.equal(context.code, 2);
  assert.match(context.stderr, /no context nope/);
  const dead = path.join(work, "dead-kubeconfig");
  await writeFile(
    dead,
    (await readFile(kube.kubeconfigPath, "utf8")).replace(kube.server, "https://127.0.0.1:1"),
  );
  const down = await runCli(["get", "sources", "bucket", "--kubeconfig", dead]);
  assert.equal(down.code, 3, down.stderr);
  const ask = await cli("delete", "source", "bucket", "other", "-n", "team-a");
  assert.equal(ask.code, 2);
  assert.match(ask.stderr, /pass --silent/);
});

test("delete source bucket --silent deletes the object (get then exits 1)", async () => {
  const d = await cli("delete", "source", "bucket", "other", "-n", "team-a", "--silent");
  assert.equal(d.code, 0, d.stderr);
  await waitFor(
    "the Bucket gone",
    async () => (await cli("get", "sources", "bucket", "other", "-n", "team-a")).code === 1,
  );
});
