// One benchmark scenario in its own process, so peak RSS (VmHWM) belongs to that scenario alone.
// Compiled with tsconfig.bench.json and run as plain `node dist/bench/worker.js '<json>'`, as the CLI runs.
import { createWriteStream, readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { pino } from "pino";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { Pool } from "undici";
import { initialStatus, type BucketStatus } from "../src/api/status.js";
import { reconcile } from "../src/engine/reconcile.js";
import type { ObjectChange } from "../src/source/object-change.js";
import { ArtifactStore } from "../src/storage/artifact-store.js";

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface ServerArgs {
  url: string;
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  prefix: string;
}

export type WorkerArgs =
  /** `changes`: the keys bucket events named, as the event-driven reconcile gets them (none: a full listing). */
  | (ServerArgs & { mode: "bucketops"; workDir: string; concurrency?: number; changes?: ObjectChange[] })
  /** One long-lived process, as a controller is: a reconcile per "reconcile" line on stdin, a result line each. */
  | (ServerArgs & { mode: "bucketops-warm"; workDir: string; concurrency?: number })
  /** `signed`: SigV4 on every GET (the SDK's signer), so the server checks each signature as it does for bucketops. */
  | (ServerArgs & { mode: "raw"; outDir: string; concurrency: number; signed?: boolean })
  /** A Bucket with `spec.url` (file:// for the many-keys datasets), one reconcile. */
  | { mode: "bucketops-url"; sourceUrl: string; workDir: string; concurrency?: number };

export interface WorkerResult {
  wallMs: number;
  cpuMs: number;
  peakRssMiB: number;
  objects: number;
  bytes: number;
  listRequests: number;
  getRequests: number;
  /** HEAD requests (the event-driven scan's stat of each changed key). */
  headRequests?: number;
  /** "incremental" or "full": how the reconcile scanned the source. */
  scan?: string;
  outcome?: string;
  digest?: string;
  revision?: string;
  /** process.memoryUsage() (MiB) at the highest RSS sampled every 100 ms: what the peak is made of. */
  atPeak?: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

/** Samples process.memoryUsage() until stopped; returns the sample with the highest RSS. */
function sampleMemory(): () => NonNullable<WorkerResult["atPeak"]> {
  const mib = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;
  let best = process.memoryUsage();
  const timer = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > best.rss) best = now;
  }, 100);
  return () => {
    clearInterval(timer);
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = best;
    return {
      rss: mib(rss),
      heapTotal: mib(heapTotal),
      heapUsed: mib(heapUsed),
      external: mib(external),
      arrayBuffers: mib(arrayBuffers),
    };
  };
}

function peakRssMiB(): number {
  // VmHWM is the process's resident-set high-water mark.
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

async function runBucketops(
  args: Extract<WorkerArgs, { mode: "bucketops" | "bucketops-warm" | "bucketops-url" }>,
  changes?: ObjectChange[],
): Promise<WorkerResult> {
  const statusFile = path.join(args.workDir, "status.json");
  let status: BucketStatus;
  try {
    status = JSON.parse(await readFile(statusFile, "utf8")) as BucketStatus;
  } catch {
    status = initialStatus();
  }
  const store = new ArtifactStore({
    root: path.join(args.workDir, "storage"),
    baseUrl: "http://127.0.0.1:1",
    retentionRecords: 2,
    retentionTtlMs: 60_000,
  });
  const spec =
    args.mode === "bucketops-url" ? { url: args.sourceUrl, interval: "5m", timeout: "30m" } : s3Spec(args);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const stopSampling = sampleMemory();
  const result = await reconcile(
    { ref: { namespace: "bench", name: "bucket" }, generation: 1, spec, status, changes },
    {
      store,
      readSecret: () =>
        Promise.resolve(
          args.mode === "bucketops-url"
            ? undefined
            : { accesskey: args.accessKey, secretkey: args.secretKey },
        ),
      cacheRoot: path.join(args.workDir, "cache"),
      logger: pino({ level: "silent" }),
      concurrency: args.concurrency ?? 32,
    },
  );
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - started;
  const atPeak = stopSampling();
  if (result.outcome === "failed" || result.outcome === "stalled") {
    throw new Error(`reconcile ${result.outcome}: ${result.error?.message ?? ""}`);
  }
  await writeFile(statusFile, JSON.stringify(result.status));
  return {
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    peakRssMiB: peakRssMiB(),
    objects: result.stats.objects,
    bytes: result.stats.bytesDownloaded,
    listRequests: result.stats.listRequests,
    getRequests: result.stats.getRequests,
    headRequests: result.stats.headRequests,
    scan: result.stats.scan,
    outcome: result.outcome,
    digest: result.status.artifact?.digest ?? "",
    revision: result.status.artifact?.revision ?? "",
    atPeak,
  };
}

function s3Spec(args: ServerArgs): Record<string, unknown> {
  return {
    provider: "generic",
    bucketName: args.bucket,
    endpoint: args.endpoint,
    insecure: true,
    prefix: args.prefix,
    interval: "5m",
    timeout: "10m",
    secretRef: { name: "creds" },
  };
}

/** The physical ceiling: one SDK listing, then plain parallel GETs (anonymous read) with undici, bodies to files. */
async function runRaw(args: Extract<WorkerArgs, { mode: "raw" }>): Promise<WorkerResult> {
  await mkdir(args.outDir, { recursive: true });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const client = new S3Client({
    endpoint: args.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: args.accessKey, secretAccessKey: args.secretKey },
  });
  const keys: string[] = [];
  let listRequests = 0;
  let token: string | undefined;
  do {
    listRequests++;
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: args.bucket, Prefix: args.prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith("/")) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  client.destroy();

  const pool = new Pool(args.url, { connections: args.concurrency, pipelining: 1 });
  const base = new URL(args.url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: args.accessKey, secretAccessKey: args.secretKey },
    region: "us-east-1",
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false, // the payload hash is the header set below, as bucketops sends it
  });
  const headersFor = async (urlPath: string): Promise<Record<string, string> | undefined> => {
    if (!args.signed) return undefined;
    const signed = await signer.sign({
      method: "GET",
      protocol: base.protocol,
      hostname: base.hostname,
      port: Number(base.port),
      path: urlPath,
      headers: { host: base.host, "x-amz-content-sha256": EMPTY_SHA256 },
      query: {},
    });
    return signed.headers;
  };
  let bytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < keys.length; i = next++) {
      const key = keys[i] ?? "";
      const urlPath = `/${args.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
      const res = await pool.request({ method: "GET", path: urlPath, headers: await headersFor(urlPath) });
      if (res.statusCode !== 200) throw new Error(`GET ${key}: HTTP ${res.statusCode}`);
      const out = createWriteStream(path.join(args.outDir, String(i)));
      await pipeline(res.body, out);
      bytes += out.bytesWritten;
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  await pool.close();
  const used = process.cpuUsage(cpu);
  return {
    wallMs: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    peakRssMiB: peakRssMiB(),
    objects: keys.length,
    bytes,
    listRequests,
    getRequests: keys.length,
  };
}

/**
 * Reconciles on request until stdin ends: "reconcile" (a full listing) or "reconcile <JSON changes>" (event-driven);
 * each step's peak RSS is its own (VmHWM reset before it).
 */
async function runWarm(args: Extract<WorkerArgs, { mode: "bucketops-warm" }>): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, changes] = line.trim().split(/ (.*)/s);
    if (command !== "reconcile") continue;
    await writeFile("/proc/self/clear_refs", "5").catch(() => undefined); // Linux: resets VmHWM to the current RSS
    const given = changes ? (JSON.parse(changes) as ObjectChange[]) : undefined;
    process.stdout.write(`${JSON.stringify(await runBucketops(args, given))}\n`);
  }
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? "{}") as WorkerArgs;
  if (args.mode === "bucketops-warm") return runWarm(args);
  const result =
    args.mode === "raw"
      ? await runRaw(args)
      : await runBucketops(args, args.mode === "bucketops" ? args.changes : undefined);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
