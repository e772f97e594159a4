// Controller RSS over many reconciles: `bucketops controller` (the built CLI, as a child) against a real
// kube-apiserver + etcd (test/support/kube.ts) with one Bucket on the bench's MinIO, reconciled N times through
// the reconcile.fluxcd.io/requestedAt annotation (one object changed before each reconcile after the first, so
// each builds a new artifact). After each reconcile: the child's RSS, and its peak during that reconcile (VmHWM,
// reset before it through /proc/<pid>/clear_refs).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  V1ObjectMeta,
  V1Secret,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { bucketApi, type BucketResource } from "../src/kube/resources.js";
import { startKube } from "../test/support/kube.js";
import type { BenchMinio } from "./minio.js";
import { procSample, stopChild } from "./scale.js";
import { installCrdAndNamespace, missingKubeBinaries, SCALE_NAMESPACE } from "./scale-controller.js";

export interface ControllerRssOptions {
  minio: BenchMinio;
  bucket: string;
  dataset: string;
  prefix: string;
  /** Reconciles in all, the first (cold) included. */
  reconciles: number;
  cli: string;
  workDir: string;
  /** Extra node flags for the controller (e.g. --max-semi-space-size=2), as NODE_OPTIONS. */
  nodeOptions?: string;
  /** Extra environment for the controller (e.g. MALLOC_ARENA_MAX). */
  env?: Record<string, string>;
  /** Called after each reconcile's sample with the controller's pid (e.g. to take a heap snapshot). */
  afterEach?: (pid: number, n: number) => Promise<void>;
}

export interface ReconcileSample {
  n: number;
  wallS: number;
  /** RSS once the reconcile's status was written. */
  rssMiB: number;
  /** Peak RSS during the reconcile. */
  peakMiB: number;
}

export interface ControllerRssResult {
  dataset: string;
  nodeOptions: string;
  env: Record<string, string>;
  /** RSS of the controller once started and synced, before the first reconcile ended. */
  samples: ReconcileSample[];
  peakMiB: number;
  /** Highest RSS after reconcile 2..N minus the RSS after reconcile 1: growth, when positive. */
  growthMiB: number;
}

const NAME = "rss";
const TIMEOUT_MS = 10 * 60_000;

/**
 * Runs the controller on one Bucket of `options.prefix` and reconciles it `options.reconciles` times; always stops
 * the controller and the API server. Fails when a kube binary is missing, the controller exits, or a reconcile
 * does not end Ready within 10 minutes.
 */
export async function runControllerRss(
  options: ControllerRssOptions,
  log: (line: string) => void,
): Promise<ControllerRssResult> {
  const missing = missingKubeBinaries();
  if (missing.length) throw new Error(`${missing.join(", ")} missing: run 'bash scripts/test-servers.sh'`);
  await mkdir(options.workDir, { recursive: true });
  log(`controller RSS ${options.dataset}: starting kube-apiserver + etcd`);
  const kube = await startKube();
  let child: ChildProcess | undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    await installCrdAndNamespace(kube, kc);
    const secret = new V1Secret();
    secret.metadata = new V1ObjectMeta();
    secret.metadata.name = "creds";
    secret.stringData = { accesskey: options.minio.accessKey, secretkey: options.minio.secretKey };
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: SCALE_NAMESPACE, body: secret });
    const objects = kc.makeApiClient(CustomObjectsApi);
    await objects.createNamespacedCustomObject({
      ...bucketApi,
      namespace: SCALE_NAMESPACE,
      body: {
        apiVersion: "source.toolkit.fluxcd.io/v1",
        kind: "Bucket",
        metadata: { name: NAME, namespace: SCALE_NAMESPACE },
        spec: {
          provider: "generic",
          bucketName: options.bucket,
          endpoint: options.minio.endpoint,
          insecure: true,
          prefix: options.prefix,
          interval: "60m",
          timeout: "10m",
          secretRef: { name: "creds" },
        },
      },
    });
    child = spawnController(options, kube.kubeconfigPath);
    const pid = child.pid ?? 0;
    const samples: ReconcileSample[] = [];
    let peakMiB = 0;
    for (let n = 1; n <= options.reconciles; n++) {
      const started = Date.now();
      await writeFile(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
      let done: (b: BucketResource) => boolean;
      if (n === 1) {
        done = (b) => b.status?.artifact !== undefined && ready(b);
      } else {
        await options.minio.client.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: `${options.prefix}rss-changing.txt`,
            Body: `reconcile ${n}\n`,
          }),
        );
        const token = `rss-${n}-${Date.now()}`;
        await objects.patchNamespacedCustomObject(
          {
            ...bucketApi,
            namespace: SCALE_NAMESPACE,
            name: NAME,
            body: { metadata: { annotations: { "reconcile.fluxcd.io/requestedAt": token } } },
          },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        );
        done = (b) => b.status?.lastHandledReconcileAt === token && ready(b);
      }
      await waitFor(objects, child, done);
      const sample = await procSample(pid);
      peakMiB = Math.max(peakMiB, sample.hwmMiB);
      samples.push({
        n,
        wallS: (Date.now() - started) / 1000,
        rssMiB: sample.rssMiB,
        peakMiB: sample.hwmMiB,
      });
      await options.afterEach?.(pid, n);
      log(
        `controller RSS ${options.dataset}: reconcile ${n}: RSS ${sample.rssMiB.toFixed(0)} MiB, peak ${sample.hwmMiB.toFixed(0)} MiB`,
      );
    }
    const first = samples[0]?.rssMiB ?? 0;
    const later = samples.slice(1).map((s) => s.rssMiB);
    return {
      dataset: options.dataset,
      nodeOptions: options.nodeOptions ?? "",
      env: options.env ?? {},
      samples,
      peakMiB,
      growthMiB: later.length ? Math.max(...later) - first : 0,
    };
  } finally {
    if (child) await stopChild(child);
    await kube.stop();
  }
}

function ready(b: BucketResource): boolean {
  return (
    b.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true &&
    b.status.observedGeneration === b.metadata?.generation
  );
}

async function waitFor(
  objects: CustomObjectsApi,
  child: ChildProcess,
  done: (b: BucketResource) => boolean,
): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bucketops controller exited ${child.exitCode}`);
    const b = (await objects.getNamespacedCustomObject({
      ...bucketApi,
      namespace: SCALE_NAMESPACE,
      name: NAME,
    })) as BucketResource;
    if (done(b)) return;
    if (Date.now() > deadline) throw new Error(`Bucket not reconciled within ${TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function spawnController(options: ControllerRssOptions, kubeconfig: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      options.cli,
      "controller",
      "--kubeconfig",
      kubeconfig,
      "--storage-path",
      path.join(options.workDir, "storage"),
      "--storage-addr",
      "127.0.0.1:0",
      "--watch-namespace",
      SCALE_NAMESPACE,
      "--no-leader-elect",
      "--log-level",
      "warn",
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        ...process.env,
        NODE_ENV: "production",
        NODE_OPTIONS: options.nodeOptions ?? "",
        ...options.env,
      },
    },
  );
}

/** One line for a controller RSS result. */
export function formatControllerRss(r: ControllerRssResult): string {
  const rss = r.samples.map((s) => s.rssMiB.toFixed(0)).join(" ");
  return (
    `controller RSS ${r.dataset} (NODE_OPTIONS=${JSON.stringify(r.nodeOptions)}${Object.entries(r.env)
      .map(([k, v]) => ` ${k}=${v}`)
      .join("")}): peak ${r.peakMiB.toFixed(0)} MiB, ` +
    `growth after the first ${r.growthMiB.toFixed(0)} MiB; RSS after each reconcile: ${rss}`
  );
}
