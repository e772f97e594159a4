// `npm run bench`: bucketops vs rclone vs a raw parallel-GET loop against a local MinIO, plus the scale run.
// Flags: --datasets A,B[,K200,K1M]  --repeat N (best of N for cold runs)  --scale-minutes M (0 skips the scale run)
//        --scale-buckets N  --scale-runtimes standalone,controller  --no-rclone  --label TEXT  --out FILE
//        --controller-rss A,B (the controller over --controller-reconciles N (20) reconciles of a Bucket of those
//        datasets; "" skips)  --controller-node-options "deployment" (the Deployment's, the default) or NODE_OPTIONS
//        --controller-cli FILE (another build, for before/after)  --data-dir DIR  --keys-node-options OPTS
//        --only-events (per dataset only the rows polling vs event-driven one-changed needs: cold, one-changed,
//        one-changed-event, in a fresh process each and in the warm process)
//        --history-keys N (10000; 0 skips the history row: N keys × 3 versions on a versioned MinIO bucket, the time
//        to list the versions and compute the change points)  --only-history (just that row)
// K200 and K1M (200,000 and 1,000,000 tiny files over file://) are written once under --data-dir and reused.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { startBenchMinio, type BenchMinio } from "./minio.js";
import { benchWebhook, webhookTarget, type WebhookRound, type WebhookTarget } from "./webhook.js";
import { formatScale, parseScaleRuntimes, runScale, type ScaleResult } from "./scale.js";
import {
  formatControllerScale,
  missingKubeBinaries,
  runControllerScale,
  type ControllerScaleResult,
} from "./scale-controller.js";
import type { ServerArgs, WorkerArgs, WorkerResult } from "./worker.js";
import type { ObjectChange } from "../src/source/object-change.js";
import { writeManyKeys } from "./keys.js";
import { CONTROLLER_MEMORY_ENV } from "../src/install/manifests.js";
import { formatControllerRss, runControllerRss, type ControllerRssResult } from "./controller-rss.js";
import { formatHistoryBench, runHistoryBench, type HistoryBenchResult } from "./history.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WORKER = path.join(repoRoot, "dist/bench/worker.js");
const CLI = path.join(repoRoot, "dist/src/cli/main.js");
const BUCKET = "bench";

const { values: flags } = parseArgs({
  options: {
    datasets: { type: "string", default: "A,B" },
    repeat: { type: "string", default: "1" },
    "scale-minutes": { type: "string", default: "2" },
    "scale-buckets": { type: "string", default: "1000" },
    "scale-runtimes": { type: "string", default: "standalone,controller" },
    "no-rclone": { type: "boolean", default: false },
    "only-events": { type: "boolean", default: false },
    "only-history": { type: "boolean", default: false },
    "history-keys": { type: "string", default: "10000" },
    label: { type: "string", default: "" },
    out: { type: "string", default: path.join(repoRoot, "bench/results/latest.json") },
    "controller-rss": { type: "string", default: "" },
    "controller-reconciles": { type: "string", default: "20" },
    // "deployment": the Deployment's NODE_OPTIONS and MALLOC_ARENA_MAX (src/install/manifests.ts); else NODE_OPTIONS.
    "controller-node-options": { type: "string", default: "deployment" },
    // Another build of the CLI for the controller RSS run (e.g. a checkout of main, for before/after figures).
    "controller-cli": { type: "string", default: CLI },
    "data-dir": { type: "string", default: path.join(repoRoot, ".bench-data") },
    // NODE_OPTIONS of the K200/K1M workers, e.g. the image's "--max-semi-space-size=2" (Dockerfile).
    "keys-node-options": { type: "string", default: "" },
  },
});
const repeat = Math.max(1, Number(flags.repeat));
const scaleRuntimes = parseScaleRuntimes(flags["scale-runtimes"]);

interface Dataset {
  name: string;
  prefix: string;
  count: number;
  size: number;
  describe: string;
  key(i: number): string;
  body(i: number, version: number): Buffer;
  rawConcurrency: number[];
}

/** The many-keys datasets: tiny files in a local folder, synced over file:// (cold and no change only). */
const KEY_DATASETS: Record<string, { count: number; describe: string }> = {
  K200: { count: 200_000, describe: "200,000 tiny files (~20 B) over file://, 1,000 a folder" },
  K1M: { count: 1_000_000, describe: "1,000,000 tiny files (~20 B) over file://, 1,000 a folder" },
};

const DATASETS: Record<string, Dataset> = {
  A: {
    name: "A",
    prefix: "a/",
    count: 10_000,
    size: 4096,
    describe: "10,000 × 4 KiB text objects in nested folders (10 × 10 × 100)",
    key: (i) => `a/team-${i % 10}/app-${Math.floor(i / 10) % 10}/manifest-${String(i).padStart(5, "0")}.yaml`,
    body: (i, version) => textBody(i, version, 4096),
    rawConcurrency: [8, 16, 32],
  },
  B: {
    name: "B",
    prefix: "b/",
    count: 200,
    size: 5 * 2 ** 20,
    describe: "200 × 5 MiB incompressible (random) objects",
    key: (i) => `b/charts/chart-${String(i).padStart(3, "0")}.tgz`,
    body: () => randomBytes(5 * 2 ** 20),
    rawConcurrency: [4, 8, 16],
  },
};

function textBody(i: number, version: number, size: number): Buffer {
  const line = `# object ${i} version ${version}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}}\ndata:\n`;
  let text = line;
  for (let n = 0; text.length < size; n++) text += `  key${n}: ${randomBytes(12).toString("hex")}\n`;
  return Buffer.from(text.slice(0, size));
}

interface Row {
  dataset: string;
  /** bucketops-warm: the same reconciles in one long-lived process, as the controller and `run` do them. */
  /** raw: anonymous GETs (no signature to check on either side); raw-signed: the same loop with SigV4. */
  tool: "bucketops" | "bucketops-warm" | "rclone" | "raw" | "raw-signed";
  /**
   * one-changed: the change found by a full listing (polling at the interval); one-changed-event: the same change
   * named by a bucket event (reconcile with changes = [the key]: the stored scan, one HEAD, one GET).
   * one-changed-webhook: upload → new artifact through MinIO's webhook notification to a running `bucketops run`.
   */
  scenario: "cold" | "no-change" | "one-changed" | "one-changed-event" | "one-changed-webhook" | "1%-changed";
  wallS: number;
  cpuS: number;
  peakRssMiB: number;
  getRequests: number;
  listRequests: number;
  headRequests: number;
  /** From MinIO's own metrics: GetObject, ListObjects(V1/V2), HeadObject requests during the run. */
  server: { get: number; list: number; head: number };
  objects: number;
  bytes: number;
  objectsPerS: number;
  mbPerS: number;
  note?: string;
  /** process.memoryUsage() at the sampled peak (the many-keys rows). */
  atPeak?: WorkerResult["atPeak"];
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function runChild(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.slice(0, 2).join(" ")} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

async function worker(args: WorkerArgs, nodeOptions?: string): Promise<WorkerResult> {
  const env = nodeOptions === undefined ? undefined : { ...process.env, NODE_OPTIONS: nodeOptions };
  const out = await runChild(process.execPath, [WORKER, JSON.stringify(args)], env);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as WorkerResult;
}

/** A bench worker kept running between reconciles (modules loaded, JIT warm), driven line by line. */
class WarmWorker {
  private readonly child;
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  private err = "";

  constructor(args: WorkerArgs) {
    this.child = spawn(process.execPath, [WORKER, JSON.stringify(args)], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (c: Buffer) => (this.err += c.toString()));
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const take = this.waiting;
      this.waiting = undefined;
      if (take) take(line);
      else this.lines.push(line);
    });
  }

  /** A full listing, or with `changes` the event-driven reconcile. */
  async reconcile(changes?: ObjectChange[]): Promise<WorkerResult> {
    this.child.stdin.write(changes ? `reconcile ${JSON.stringify(changes)}\n` : "reconcile\n");
    const line =
      this.lines.shift() ??
      (await new Promise<string>((resolve, reject) => {
        this.waiting = resolve;
        this.child.once("exit", (code) => {
          reject(new Error(`warm worker exited ${code}: ${this.err.slice(-2000)}`));
        });
      }));
    return JSON.parse(line) as WorkerResult;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    if (this.child.exitCode === null) await once(this.child, "exit");
  }
}

/**
 * MinIO serves its request metrics from a cache renewed at most every 10 s: waiting longer than that before each
 * read (and reading nothing in between) makes both reads current, so a short run's few requests are counted.
 */
const METRICS_SETTLE_MS = 11_000;

async function serverDelta<T>(
  minio: BenchMinio,
  run: () => Promise<T>,
  settleMs = 200,
): Promise<{ result: T; server: Row["server"] }> {
  if (settleMs >= METRICS_SETTLE_MS) await new Promise((r) => setTimeout(r, settleMs));
  const before = await minio.requestCounts();
  const result = await run();
  await new Promise((r) => setTimeout(r, settleMs));
  const after = await minio.requestCounts();
  const d = (...apis: string[]): number =>
    apis.reduce((sum, api) => sum + (after.get(api) ?? 0) - (before.get(api) ?? 0), 0);
  return {
    result,
    server: { get: d("getobject"), list: d("listobjectsv2", "listobjectsv1"), head: d("headobject") },
  };
}

function row(
  dataset: Dataset,
  tool: Row["tool"],
  scenario: Row["scenario"],
  r: WorkerResult,
  server: Row["server"],
  note?: string,
): Row {
  const wallS = r.wallMs / 1000;
  const out: Row = {
    dataset: dataset.name,
    tool,
    scenario,
    wallS,
    cpuS: r.cpuMs / 1000,
    peakRssMiB: r.peakRssMiB,
    getRequests: r.getRequests,
    listRequests: r.listRequests,
    headRequests: r.headRequests ?? 0,
    server,
    objects: r.objects,
    bytes: r.bytes,
    objectsPerS: r.objects / wallS,
    mbPerS: r.bytes / 1e6 / wallS,
  };
  if (note) out.note = note;
  return out;
}

// ---- rclone ----

function ensureRclone(): string | undefined {
  const found = (): string | undefined => {
    try {
      return execFileSync("sh", ["-c", "command -v rclone"], { encoding: "utf8" }).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  let bin = found();
  if (!bin && process.getuid?.() === 0) {
    log("rclone is missing; installing the Debian package (apt-get install -y rclone)");
    try {
      execFileSync("apt-get", ["install", "-y", "rclone"], { stdio: "ignore" });
    } catch {
      try {
        execFileSync("sh", ["-c", "apt-get update && apt-get install -y rclone"], { stdio: "ignore" });
      } catch {
        /* reported below */
      }
    }
    bin = found();
  }
  if (!bin) log("rclone is MISSING (install it: apt-get install -y rclone); the rclone columns are skipped");
  return bin;
}

async function rclone(
  bin: string,
  minio: BenchMinio,
  dataset: Dataset,
  dest: string,
  concurrency: number,
): Promise<WorkerResult> {
  const timeFile = path.join(os.tmpdir(), `bench-time-${process.pid}`);
  const env: NodeJS.ProcessEnv & { RCLONE_CONFIG: string } = {
    ...process.env,
    RCLONE_CONFIG: path.join(os.tmpdir(), "bench-rclone-empty.conf"),
    RCLONE_CONFIG_BENCH_TYPE: "s3",
    RCLONE_CONFIG_BENCH_PROVIDER: "Minio",
    RCLONE_CONFIG_BENCH_ENDPOINT: minio.url,
    RCLONE_CONFIG_BENCH_REGION: "us-east-1",
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: "true",
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: minio.accessKey,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: minio.secretKey,
  };
  delete env.AWS_CA_BUNDLE; // rclone cannot add a CA bundle to its own transport, and the endpoint is http
  await writeFile(env.RCLONE_CONFIG, "");
  const started = performance.now();
  await runChild(
    "/usr/bin/time",
    [
      "-f",
      "%U %S %M",
      "-o",
      timeFile,
      bin,
      "sync",
      `bench:${BUCKET}/${dataset.prefix}`,
      dest,
      "--checksum", // compare by ETag (MD5) from the listing, as bucketops does; no HEAD per object
      "--fast-list", // one recursive listing, as bucketops does
      "--transfers",
      String(concurrency),
      "--checkers",
      String(concurrency),
      "--stats-one-line",
      "--stats",
      "0",
      "-v",
    ],
    env,
  );
  const wallMs = performance.now() - started;
  const [user, sys, maxKb] = (await readFile(timeFile, "utf8")).trim().split("\n").at(-1)?.split(" ") ?? [];
  await rm(timeFile, { force: true });
  return {
    wallMs,
    cpuMs: (Number(user) + Number(sys)) * 1000,
    peakRssMiB: Number(maxKb) / 1024,
    objects: dataset.count,
    bytes: 0,
    listRequests: 0,
    getRequests: 0,
  };
}

// ---- the run ----

async function upload(minio: BenchMinio, items: [string, Buffer][]): Promise<void> {
  const limit = pLimit(16);
  await Promise.all(
    items.map(([Key, Body]) =>
      limit(() => minio.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }))),
    ),
  );
}

/** Uploads version 0 of every object of a dataset. */
async function uploadDataset(minio: BenchMinio, dataset: Dataset): Promise<void> {
  log(`${dataset.name}: uploading ${dataset.describe}`);
  const t0 = Date.now();
  for (let start = 0; start < dataset.count; start += 1000) {
    const batch: [string, Buffer][] = [];
    for (let i = start; i < Math.min(dataset.count, start + 1000); i++)
      batch.push([dataset.key(i), dataset.body(i, 0)]);
    await upload(minio, batch);
  }
  log(`${dataset.name}: uploaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** The one-changed-webhook row: the median of 3 rounds, with the server's requests per round. */
async function webhookRow(
  minio: BenchMinio,
  dataset: Dataset,
  target: WebhookTarget,
  work: string,
): Promise<Row> {
  const ROUNDS = 3;
  const r = {
    result: await benchWebhook({
      minio,
      target,
      bucket: BUCKET,
      prefix: dataset.prefix,
      work: path.join(work, `${dataset.name}-webhook`),
      rounds: ROUNDS,
      change: (round) => upload(minio, [[dataset.key(9), dataset.body(9, 10 + round)]]),
      log,
    }),
  };
  const latencies = r.result.map((x) => x.latencyMs).sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)] ?? NaN;
  const sum = (f: (x: WebhookRound) => number): number => r.result.reduce((n, x) => n + f(x), 0);
  log(`${dataset.name}: webhook upload → artifact ${latencies.join(", ")} ms`);
  // MinIO's counts would include the `run` server's cold sync: only its own per-round counts are shown (n/a).
  const perRound = (n: number): number => Math.round((n / ROUNDS) * 10) / 10;
  const worker: WorkerResult = {
    wallMs: median,
    cpuMs: 0,
    peakRssMiB: 0,
    objects: 1,
    bytes: dataset.size,
    listRequests: perRound(sum((x) => x.list)),
    getRequests: perRound(sum((x) => x.get)),
    headRequests: perRound(sum((x) => x.head)),
  };
  return row(
    dataset,
    "bucketops",
    "one-changed-webhook",
    worker,
    { get: NaN, list: NaN, head: NaN },
    `upload → new artifact through MinIO's webhook to \`bucketops run\` (interval 1h; 200 ms debounce included), median of ${latencies.join("/")} ms (reconciles ${r.result.map((x) => x.reconcileMs).join("/")} ms); requests per round, ${r.result.map((x) => x.scan).join("/")} scan; CPU/RSS not sampled`,
  );
}

async function benchDataset(
  minio: BenchMinio,
  dataset: Dataset,
  work: string,
  rcloneBin: string | undefined,
  webhook?: WebhookTarget,
): Promise<Row[]> {
  const rows: Row[] = [];
  await uploadDataset(minio, dataset);
  const server: ServerArgs = {
    url: minio.url,
    endpoint: minio.endpoint,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
    bucket: BUCKET,
    prefix: dataset.prefix,
  };
  const bucketops = async (
    workDir: string,
    changes?: ObjectChange[],
    settleMs?: number,
  ): Promise<{ result: WorkerResult; server: Row["server"] }> =>
    serverDelta(
      minio,
      () => worker({ ...server, mode: "bucketops", workDir, ...(changes ? { changes } : {}) }),
      settleMs,
    );
  const all = !flags["only-events"];

  type Run = { result: WorkerResult; server: Row["server"] };
  const best = (runs: Run[]): Run => runs.reduce((a, b) => (b.result.wallMs < a.result.wallMs ? b : a));
  const rawRun = async (c: number, signed: boolean): Promise<Run> => {
    const outDir = path.join(work, `${dataset.name}-raw`);
    await rm(outDir, { recursive: true, force: true });
    const r = await serverDelta(minio, () =>
      worker({ ...server, mode: "raw", outDir, concurrency: c, signed }),
    );
    await rm(outDir, { recursive: true, force: true });
    log(`${dataset.name}: raw ${signed ? "signed " : ""}GET loop ×${c}: ${r.result.wallMs.toFixed(0)} ms`);
    return r;
  };
  const rcloneDest = path.join(work, `${dataset.name}-rclone`);
  const rcloneOnce = async (): Promise<Run> => {
    const r = await serverDelta(minio, () => rclone(rcloneBin ?? "", minio, dataset, rcloneDest, 32));
    r.result.getRequests = r.server.get;
    r.result.listRequests = r.server.list;
    r.result.bytes = r.server.get * dataset.size;
    log(`${dataset.name}: rclone ${r.result.wallMs.toFixed(0)} ms`);
    return r;
  };
  const rcloneNote = "--checksum --fast-list, 32 transfers/checkers";

  // Each raw loop's connection count: one run each, the fastest is used below (signing adds latency per request,
  // so the signed loop may want more connections than the anonymous one).
  const fastest = async (signed: boolean): Promise<{ c: number; run: Run }> => {
    const trials: { c: number; run: Run }[] = [];
    for (const c of dataset.rawConcurrency) trials.push({ c, run: await rawRun(c, signed) });
    return trials.reduce((a, b) => (b.run.result.wallMs < a.run.result.wallMs ? b : a));
  };
  const rawTrial = all ? await fastest(false) : undefined;
  const signedTrial = all ? await fastest(true) : undefined;
  const rawC = rawTrial?.c ?? 0;
  const signedC = signedTrial?.c ?? 0;

  // Cold runs in interleaved rounds (bucketops, raw, raw signed, rclone), so that the server's drift over time
  // (MinIO's background work after an upload) falls on every tool alike; each tool's best of `repeat` counts.
  // The last bucketops cold run's state is kept for the next scenarios.
  let workDir = "";
  const colds: Run[] = [];
  const raws: Run[] = rawTrial ? [rawTrial.run] : [];
  const signeds: Run[] = signedTrial ? [signedTrial.run] : [];
  const rclones: Run[] = [];
  for (let n = 0; n < repeat; n++) {
    if (workDir) await rm(workDir, { recursive: true, force: true });
    workDir = path.join(work, `${dataset.name}-bucketops-${n}`);
    colds.push(await bucketops(workDir));
    log(`${dataset.name}: bucketops cold ${(colds.at(-1)?.result.wallMs ?? 0).toFixed(0)} ms`);
    if (!all) continue;
    raws.push(await rawRun(rawC, false));
    signeds.push(await rawRun(signedC, true));
    if (rcloneBin) {
      await rm(rcloneDest, { recursive: true, force: true });
      rclones.push(await rcloneOnce());
    }
  }
  const cold = best(colds);
  rows.push(row(dataset, "bucketops", "cold", cold.result, cold.server));
  if (all) {
    const raw = best(raws);
    rows.push(
      row(
        dataset,
        "raw",
        "cold",
        raw.result,
        raw.server,
        `undici, ${rawC} connections (of ${dataset.rawConcurrency.join("/")})`,
      ),
    );
    const signed = best(signeds);
    rows.push(
      row(
        dataset,
        "raw-signed",
        "cold",
        signed.result,
        signed.server,
        `undici + SigV4, ${signedC} connections (of ${dataset.rawConcurrency.join("/")})`,
      ),
    );
  }
  if (rclones.length > 0) {
    const r = best(rclones);
    rows.push(row(dataset, "rclone", "cold", r.result, r.server, rcloneNote));
  }
  const rcloneRun = async (scenario: Row["scenario"]): Promise<void> => {
    if (!rcloneBin || !all) return;
    const r = await rcloneOnce();
    rows.push(row(dataset, "rclone", scenario, r.result, r.server, rcloneNote));
  };

  if (all) {
    const noChange = await bucketops(workDir);
    rows.push(row(dataset, "bucketops", "no-change", noChange.result, noChange.server));
    await rcloneRun("no-change");
  }

  await upload(minio, [[dataset.key(7), dataset.body(7, 1)]]);
  // Polling vs event-driven: both with settled server metrics, so their few requests are counted by MinIO too.
  const one = await bucketops(workDir, undefined, METRICS_SETTLE_MS);
  rows.push(
    row(dataset, "bucketops", "one-changed", one.result, one.server, "found by a full listing (polling)"),
  );
  await rcloneRun("one-changed");

  // The same change named by a bucket event: applied to the stored scan of the reconcile before (a HEAD, no LIST).
  await upload(minio, [[dataset.key(8), dataset.body(8, 1)]]);
  const event = await bucketops(workDir, [{ key: dataset.key(8), deleted: false }], METRICS_SETTLE_MS);
  rows.push(
    row(
      dataset,
      "bucketops",
      "one-changed-event",
      event.result,
      event.server,
      `changes=[1 key], scan ${event.result.scan ?? "?"}`,
    ),
  );
  log(
    `${dataset.name}: bucketops one-changed polling ${one.result.wallMs.toFixed(0)} ms, event ${event.result.wallMs.toFixed(0)} ms`,
  );
  // The same change announced by MinIO's webhook to a running `bucketops run` (interval 1h): upload → artifact.
  if (webhook) rows.push(await webhookRow(minio, dataset, webhook, work));

  const changed: [string, Buffer][] = [];
  if (all) {
    const step = 100;
    for (let i = 3; i < dataset.count; i += step) changed.push([dataset.key(i), dataset.body(i, 2)]);
    await upload(minio, changed);
    const pct = await bucketops(workDir);
    rows.push(
      row(dataset, "bucketops", "1%-changed", pct.result, pct.server, `${changed.length} objects changed`),
    );
    await rcloneRun("1%-changed");
  }

  await rm(workDir, { recursive: true, force: true });
  await rm(rcloneDest, { recursive: true, force: true });

  // The same four reconciles in one process that stays up between them, as in the controller and `run`.
  const warmDir = path.join(work, `${dataset.name}-warm`);
  const warm = new WarmWorker({ ...server, mode: "bucketops-warm", workDir: warmDir });
  try {
    const step = async (
      scenario: Row["scenario"],
      note?: string,
      changes?: ObjectChange[],
      settleMs?: number,
    ): Promise<void> => {
      const r = await serverDelta(minio, () => warm.reconcile(changes), settleMs);
      rows.push(row(dataset, "bucketops-warm", scenario, r.result, r.server, note));
      log(`${dataset.name}: bucketops (warm process) ${scenario} ${r.result.wallMs.toFixed(0)} ms`);
    };
    await step("cold");
    if (all) await step("no-change");
    await upload(minio, [[dataset.key(7), dataset.body(7, 3)]]);
    await step("one-changed", "found by a full listing (polling)", undefined, METRICS_SETTLE_MS);
    await upload(minio, [[dataset.key(8), dataset.body(8, 3)]]);
    await step(
      "one-changed-event",
      "changes=[1 key]",
      [{ key: dataset.key(8), deleted: false }],
      METRICS_SETTLE_MS,
    );
    if (all) {
      await upload(
        minio,
        changed.map(([key], n) => [key, dataset.body(3 + n * 100, 4)]),
      );
      await step("1%-changed", `${changed.length} objects changed`);
    }
  } finally {
    await warm.close();
    await rm(warmDir, { recursive: true, force: true });
  }
  return rows;
}

/** Cold and no-change syncs of a many-keys folder over file://, each in a fresh worker process. */
async function benchKeys(name: string, work: string): Promise<Row[]> {
  const spec = KEY_DATASETS[name];
  if (!spec) throw new Error(`unknown dataset ${name}`);
  const root = await writeManyKeys(path.join(flags["data-dir"], name), spec.count, log);
  const dataset: Dataset = {
    name,
    prefix: "",
    count: spec.count,
    size: 0,
    describe: spec.describe,
    key: () => "",
    body: () => Buffer.alloc(0),
    rawConcurrency: [],
  };
  const workDir = path.join(work, `${name}-bucketops`);
  const none = { get: 0, list: 0, head: 0 };
  const run = (): Promise<WorkerResult> =>
    worker({ mode: "bucketops-url", sourceUrl: `file://${root}`, workDir }, flags["keys-node-options"]);
  const rows: Row[] = [];
  for (const scenario of ["cold", "no-change"] as const) {
    const r = await run();
    log(
      `${name}: bucketops ${scenario} ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
    );
    const node = flags["keys-node-options"] ? `, NODE_OPTIONS=${flags["keys-node-options"]}` : "";
    const out = row(dataset, "bucketops", scenario, r, none, `file://${node}, revision ${r.revision ?? ""}`);
    if (r.atPeak) out.atPeak = r.atPeak;
    rows.push(out);
  }
  await rm(workDir, { recursive: true, force: true });
  return rows;
}

function table(rows: Row[]): string {
  const head = [
    "data",
    "tool",
    "scenario",
    "wall s",
    "CPU s",
    "peak RSS MiB",
    "GET",
    "LIST",
    "HEAD",
    "MinIO GET/LIST/HEAD",
    "obj/s",
    "MB/s",
  ];
  const lines = rows.map((r) => [
    r.dataset,
    r.tool,
    r.scenario,
    r.wallS.toFixed(2),
    r.cpuS.toFixed(2),
    r.peakRssMiB.toFixed(0),
    String(r.getRequests),
    String(r.listRequests),
    String(r.headRequests),
    Number.isNaN(r.server.get) ? "n/a" : `${r.server.get}/${r.server.list}/${r.server.head}`,
    r.objectsPerS.toFixed(0),
    r.mbPerS.toFixed(1),
  ]);
  const all = [head, ...lines];
  const widths = head.map((_, i) => Math.max(...all.map((l) => (l[i] ?? "").length)));
  const fmt = (l: string[]): string => `| ${l.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [fmt(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...lines.map(fmt)].join("\n");
}

function ratios(rows: Row[]): Record<string, number> {
  const out: Record<string, number> = {};
  const find = (d: string, t: Row["tool"], s: Row["scenario"]): Row | undefined =>
    rows.find((r) => r.dataset === d && r.tool === t && r.scenario === s);
  for (const d of new Set(rows.map((r) => r.dataset))) {
    const cold = find(d, "bucketops", "cold");
    if (!cold) continue;
    const raw = find(d, "raw", "cold");
    if (raw) out[`${d} cold bucketops/raw`] = cold.wallS / raw.wallS;
    const signed = find(d, "raw-signed", "cold");
    if (signed) out[`${d} cold bucketops/raw-signed`] = cold.wallS / signed.wallS;
    for (const s of ["cold", "one-changed"] as const) {
      const b = find(d, "bucketops", s);
      const r = find(d, "rclone", s);
      if (b && r) out[`${d} ${s} bucketops/rclone`] = b.wallS / r.wallS;
    }
    const one = find(d, "bucketops", "one-changed");
    if (one) out[`${d} cold/one-changed speedup`] = cold.wallS / one.wallS;
    const warmCold = find(d, "bucketops-warm", "cold");
    const warmOne = find(d, "bucketops-warm", "one-changed");
    if (warmCold && warmOne)
      out[`${d} cold/one-changed speedup (warm process)`] = warmCold.wallS / warmOne.wallS;
    const event = find(d, "bucketops", "one-changed-event");
    if (one && event) out[`${d} one-changed polling/event`] = one.wallS / event.wallS;
    const warmEvent = find(d, "bucketops-warm", "one-changed-event");
    if (warmOne && warmEvent)
      out[`${d} one-changed polling/event (warm process)`] = warmOne.wallS / warmEvent.wallS;
    if (warmCold && raw) out[`${d} cold bucketops-warm/raw`] = warmCold.wallS / raw.wallS;
  }
  return out;
}

/** The controller RSS run's Node settings: the Deployment's, or the NODE_OPTIONS given (and glibc's defaults). */
function controllerNodeEnv(): { nodeOptions: string; env: Record<string, string> } {
  const given = flags["controller-node-options"];
  if (given !== "deployment") return { nodeOptions: given, env: {} };
  const { NODE_OPTIONS = "", ...env } = CONTROLLER_MEMORY_ENV;
  return { nodeOptions: NODE_OPTIONS, env };
}

/** The runs against MinIO: the A/B datasets' rows, then the controller RSS runs. */
async function minioRuns(
  minio: BenchMinio,
  sel: {
    minioNames: string[];
    rssNames: string[];
    work: string;
    rcloneBin: string | undefined;
    webhook?: WebhookTarget;
  },
  rows: Row[],
  controllerRss: ControllerRssResult[],
): Promise<void> {
  const { minioNames, rssNames, work, rcloneBin } = sel;
  await minio.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // Anonymous read for the raw GET loop, so it needs no signing.
  await minio.client.send(
    new PutBucketPolicyCommand({
      Bucket: BUCKET,
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: ["*"] },
            Action: ["s3:GetObject"],
            Resource: [`arn:aws:s3:::${BUCKET}/*`],
          },
        ],
      }),
    }),
  );
  for (const name of minioNames) {
    const dataset = DATASETS[name];
    if (!dataset) throw new Error(`unknown dataset ${name}`);
    rows.push(...(await benchDataset(minio, dataset, work, rcloneBin, sel.webhook)));
  }
  for (const name of rssNames) {
    const dataset = DATASETS[name];
    if (!dataset) throw new Error(`unknown dataset ${name}`);
    if (!minioNames.includes(name)) await uploadDataset(minio, dataset);
    const result = await runControllerRss(
      {
        minio,
        bucket: BUCKET,
        dataset: name,
        prefix: dataset.prefix,
        reconciles: Number(flags["controller-reconciles"]),
        ...controllerNodeEnv(),
        cli: path.resolve(flags["controller-cli"]),
        workDir: path.join(work, `rss-${name}`),
      },
      log,
    );
    log(formatControllerRss(result));
    controllerRss.push(result);
  }
}

async function main(): Promise<void> {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run 'npm run bench' (it builds it)`);
  const work = await mkdtemp(path.join(os.tmpdir(), "bucketops-bench-"));
  const onlyHistory = flags["only-history"];
  const historyKeys = Number(flags["history-keys"]);
  const names = (onlyHistory ? "" : flags.datasets)
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== "");
  const minioNames = names.filter((n) => !(n in KEY_DATASETS));
  const rssNames = (onlyHistory ? "" : flags["controller-rss"])
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== "");
  const rcloneBin = flags["no-rclone"] || minioNames.length === 0 ? undefined : ensureRclone();
  const rows: Row[] = [];
  let scale: ScaleResult | undefined;
  let scaleController: ControllerScaleResult | undefined;
  const controllerRss: ControllerRssResult[] = [];
  let history: HistoryBenchResult | undefined;
  for (const name of names.filter((n) => n in KEY_DATASETS)) rows.push(...(await benchKeys(name, work)));
  if (minioNames.length > 0 || rssNames.length > 0 || historyKeys > 0) {
    const webhook = await webhookTarget();
    const minio = await startBenchMinio(webhook.env);
    try {
      await minioRuns(minio, { minioNames, rssNames, work, rcloneBin, webhook }, rows, controllerRss);
      if (historyKeys > 0)
        history = await runHistoryBench(
          minio,
          { keys: historyKeys, versions: 3, workDir: path.join(work, "history"), cli: CLI },
          log,
        );
    } finally {
      await minio.stop();
    }
  }
  const minutes = onlyHistory ? 0 : Number(flags["scale-minutes"]);
  const scaleOptions = {
    buckets: Number(flags["scale-buckets"]),
    objectsPerBucket: 100,
    steadyMinutes: minutes,
    cli: CLI,
  };
  if (minutes > 0 && scaleRuntimes.has("standalone")) {
    const scaleDir = path.join(work, "scale");
    await mkdir(scaleDir, { recursive: true });
    scale = await runScale({ ...scaleOptions, workDir: scaleDir }, log);
  }
  if (minutes > 0 && scaleRuntimes.has("controller")) {
    const missing = missingKubeBinaries();
    if (missing.length)
      log(`scale (controller) SKIPPED: ${missing.join(", ")} missing (run 'bash scripts/test-servers.sh')`);
    else
      // A failure is reported, not thrown: the dataset rows above are still written.
      scaleController = await runControllerScale(
        { ...scaleOptions, workDir: path.join(work, "scale-controller") },
        log,
      ).catch((error: unknown) => {
        log(`scale (controller) FAILED: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
        return undefined;
      });
  }
  await rm(work, { recursive: true, force: true });

  const result = {
    label: flags.label,
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "",
      memGiB: os.totalmem() / 2 ** 30,
      node: process.version,
    },
    rclone: rcloneBin ? execFileSync(rcloneBin, ["version"], { encoding: "utf8" }).split("\n")[0] : "missing",
    datasets: Object.fromEntries(names.map((n) => [n, DATASETS[n]?.describe ?? KEY_DATASETS[n]?.describe])),
    rows,
    ratios: ratios(rows),
    scale,
    scaleController,
    controllerRss,
    history,
  };
  if (!onlyHistory) process.stdout.write(`\n${table(rows)}\n\n`);
  for (const [k, v] of Object.entries(result.ratios)) process.stdout.write(`${k}: ${v.toFixed(2)}\n`);
  if (scale) process.stdout.write(`\n${formatScale("scale", scale)}\n`);
  if (scaleController) process.stdout.write(`${formatControllerScale(scaleController)}\n`);
  for (const r of controllerRss) process.stdout.write(`${formatControllerRss(r)}\n`);
  if (history) process.stdout.write(`\n${formatHistoryBench(history)}\n`);
  await mkdir(path.dirname(flags.out), { recursive: true });
  await writeFile(flags.out, `${JSON.stringify(result, null, 2)}\n`);
  log(`results written to ${flags.out}`);
}

await main();
