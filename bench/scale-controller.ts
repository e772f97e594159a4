// Scale, controller half: `bucketops controller` (the built CLI, as a child) against a real kube-apiserver + etcd
// (test/support/kube.ts) with many file:// Buckets on a 5-minute interval, measured like `bucketops run` in
// scale.ts: initial sync until every Bucket is Ready with an artifact, then steady-state CPU and RSS from /proc.
// Alone: node --import tsx bench/scale-controller.ts [--buckets 1000] [--objects 100] [--minutes 2] [--out FILE]
//        [--cli dist/src/cli/main.js]
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import pLimit from "p-limit";
import { CRD_FILE } from "../src/install/deploy-files.js";
import { bucketApi, type BucketResource } from "../src/kube/resources.js";
import {
  ETCD_BIN,
  KUBE_APISERVER_BIN,
  KUBECTL_BIN,
  startKube,
  type KubeServer,
} from "../test/support/kube.js";
import {
  formatScale,
  measureInitialSync,
  measureSteady,
  procSample,
  scaleBucket,
  scaleResult,
  stopChild,
  writeScaleData,
  type ScaleOptions,
  type ScaleResult,
} from "./scale.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NAMESPACE = "scale";
/** The namespace of the bench's Buckets (also the controller RSS run's). */
export const SCALE_NAMESPACE = NAMESPACE;
const CREATE_PARALLELISM = 16;
// Listing 1,000 Buckets with status costs the API server too; every 2 s keeps that small next to the controller.
const READY_POLL_MS = 2000;

/** kube-apiserver + etcd, summed: what serving the controller's list, watch and status patches costs. */
export interface ApiServerLoad {
  initialCpuS: number;
  steadyCpuPercent: number;
  endRssMiB: number;
}

export interface ControllerScaleResult extends ScaleResult {
  runtime: "controller";
  apiServer: ApiServerLoad;
}

/** The kube binaries (built by scripts/test-servers.sh) that are missing; empty when the run can go ahead. */
export function missingKubeBinaries(): string[] {
  return [KUBE_APISERVER_BIN, ETCD_BIN, KUBECTL_BIN].filter((bin) => !existsSync(bin));
}

/**
 * Starts kube-apiserver + etcd, installs the Bucket CRD, creates `buckets` file:// Buckets in namespace "scale",
 * runs `bucketops controller` on them and measures its initial sync and steady state. Always stops the controller
 * and the API server; fails when a binary is missing, the controller exits, no Bucket turns Ready for 3 minutes
 * or the sync takes over 30 minutes.
 */
export async function runControllerScale(
  options: ScaleOptions,
  log: (line: string) => void,
): Promise<ControllerScaleResult> {
  const missing = missingKubeBinaries();
  if (missing.length) throw new Error(`${missing.join(", ")} missing: run 'bash scripts/test-servers.sh'`);
  const roots = await writeScaleData(
    path.join(options.workDir, "data"),
    options.buckets,
    options.objectsPerBucket,
    log,
  );
  log("scale: starting kube-apiserver + etcd");
  const kube = await startKube();
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    await installCrdAndNamespace(kube, kc);
    await createBuckets(kc, roots, log);
    return await measureController(options, kube, kc, log);
  } finally {
    await kube.stop();
  }
}

async function kubectl(kube: KubeServer, ...args: string[]): Promise<void> {
  await promisify(execFile)(KUBECTL_BIN, ["--kubeconfig", kube.kubeconfigPath, ...args]);
}

/** Applies the generated CRD with kubectl (as users do), waits until it is Established, creates the namespace. */
export async function installCrdAndNamespace(kube: KubeServer, kc: KubeConfig): Promise<void> {
  await kubectl(kube, "apply", "-f", path.join(repoRoot, CRD_FILE));
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const crd = await ext.readCustomResourceDefinition({ name: "buckets.source.toolkit.fluxcd.io" });
    if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
    if (Date.now() > deadline) throw new Error("the Bucket CRD was not Established within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  await kubectl(kube, "create", "namespace", NAMESPACE);
}

async function createBuckets(kc: KubeConfig, roots: string[], log: (line: string) => void): Promise<void> {
  const objects = kc.makeApiClient(CustomObjectsApi);
  const limit = pLimit(CREATE_PARALLELISM);
  const started = Date.now();
  await Promise.all(
    roots.map((root, b) =>
      limit(() =>
        objects.createNamespacedCustomObject({
          ...bucketApi,
          namespace: NAMESPACE,
          body: scaleBucket(b, root),
        }),
      ),
    ),
  );
  log(`scale: created ${roots.length} Buckets in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Runs the controller child and measures both phases; always stops it. */
async function measureController(
  options: ScaleOptions,
  kube: KubeServer,
  kc: KubeConfig,
  log: (line: string) => void,
): Promise<ControllerScaleResult> {
  const servers = await serverPids(kube.dir);
  const serversAtStart = await sumCpu(servers);
  const { child, tail } = spawnController(options, kube);
  const detail = (): string => `; controller log tail:\n${tail()}`;
  try {
    const objects = kc.makeApiClient(CustomObjectsApi);
    const initial = await measureInitialSync(
      child,
      "bucketops controller",
      options.buckets,
      () => countReady(objects),
      log,
      { pollMs: READY_POLL_MS, detail },
    );
    const serversAtSync = await sumCpu(servers);
    log(
      `scale: controller: ${options.buckets} Buckets Ready in ${initial.seconds.toFixed(1)} s; steady state for ${options.steadyMinutes} min`,
    );
    const steady = await measureSteady(child, "bucketops controller", options.steadyMinutes, detail);
    const serversAtEnd = await sumCpu(servers);
    return {
      ...scaleResult("controller", options, initial, steady),
      runtime: "controller",
      apiServer: {
        initialCpuS: serversAtSync.cpuS - serversAtStart.cpuS,
        steadyCpuPercent: ((serversAtEnd.cpuS - serversAtSync.cpuS) / steady.seconds) * 100,
        endRssMiB: serversAtEnd.rssMiB,
      },
    };
  } finally {
    await stopChild(child);
  }
}

/** `bucketops controller` with the admin kubeconfig, leader election in "scale", everything on 127.0.0.1. */
function spawnController(
  options: ScaleOptions,
  kube: KubeServer,
): { child: ChildProcess; tail: () => string } {
  const child = spawn(
    process.execPath,
    [
      options.cli,
      "controller",
      "--kubeconfig",
      kube.kubeconfigPath,
      "--storage-path",
      path.join(options.workDir, "storage"),
      "--storage-addr",
      "127.0.0.1:0",
      "--watch-namespace",
      NAMESPACE,
      "--leader-election-namespace",
      NAMESPACE,
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        NODE_ENV: "production",
      },
    },
  );
  // Only the last few KiB of the JSON logs, for a failure message.
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-4096);
  });
  return { child, tail: () => log };
}

const isDone = (b: BucketResource): boolean =>
  b.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true &&
  b.status.observedGeneration === b.metadata?.generation &&
  b.status.artifact !== undefined;

// Custom-object lists come back as raw JSON: the token is metadata.continue, not the typed models' _continue.
interface RawBucketList {
  items: BucketResource[];
  metadata?: { continue?: string };
}

/** Buckets in "scale" that are Ready=True for their current generation with an artifact, by a paged list. */
async function countReady(objects: CustomObjectsApi): Promise<number> {
  let count = 0;
  let _continue: string | undefined;
  do {
    const page = (await objects.listNamespacedCustomObject({
      ...bucketApi,
      namespace: NAMESPACE,
      limit: 500,
      _continue,
    })) as RawBucketList;
    count += page.items.filter(isDone).length;
    _continue = page.metadata?.continue || undefined;
  } while (_continue);
  return count;
}

/** The pids of this run's kube-apiserver and etcd: the processes whose command line names the run's temp dir. */
async function serverPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const bin = cmdline.split("\0")[0] ?? "";
    if ((bin === KUBE_APISERVER_BIN || bin === ETCD_BIN) && cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

async function sumCpu(pids: number[]): Promise<{ cpuS: number; rssMiB: number }> {
  const samples = await Promise.all(pids.map(procSample));
  return {
    cpuS: samples.reduce((s, x) => s + x.cpuS, 0),
    rssMiB: samples.reduce((s, x) => s + x.rssMiB, 0),
  };
}

/** One line for a controller scale result: the shared scale line plus the API server's share. */
export function formatControllerScale(scale: ControllerScaleResult): string {
  return (
    `${formatScale("scale (controller)", scale)}; kube-apiserver + etcd: ${scale.apiServer.initialCpuS.toFixed(1)} CPU s ` +
    `during the sync, ${scale.apiServer.steadyCpuPercent.toFixed(2)} % CPU steady, RSS ${scale.apiServer.endRssMiB.toFixed(0)} MiB`
  );
}

// ---- run alone ----

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      buckets: { type: "string", default: "1000" },
      objects: { type: "string", default: "100" },
      minutes: { type: "string", default: "2" },
      out: { type: "string" },
      // Another build of the CLI, e.g. one with a local fix, to compare against this checkout's dist/.
      cli: { type: "string", default: path.join(repoRoot, "dist/src/cli/main.js") },
    },
  });
  const cli = path.resolve(flags.cli);
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build'`);
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const workDir = await mkdtemp(path.join(os.tmpdir(), "bucketops-scale-controller-"));
  try {
    const result = await runControllerScale(
      {
        workDir,
        buckets: Number(flags.buckets),
        objectsPerBucket: Number(flags.objects),
        steadyMinutes: Number(flags.minutes),
        cli,
      },
      log,
    );
    process.stdout.write(`${formatControllerScale(result)}\n`);
    if (flags.out) {
      await mkdir(path.dirname(flags.out), { recursive: true });
      await writeFile(flags.out, `${JSON.stringify(result, null, 2)}\n`);
      log(`result written to ${flags.out}`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
