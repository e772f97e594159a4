// Scale: `bucketops run` (the built CLI, as a child) with many file:// Buckets on a 5-minute interval; samples the
// child's CPU and RSS from /proc during the initial sync and then in steady state. The data writer, the /proc
// sampler and the two measuring phases are shared with the controller's scale run (scale-controller.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface ScaleOptions {
  workDir: string;
  buckets: number;
  objectsPerBucket: number;
  steadyMinutes: number;
  cli: string;
}

export type ScaleRuntime = "standalone" | "controller";
export const SCALE_RUNTIMES: readonly ScaleRuntime[] = ["standalone", "controller"];

export interface ScaleResult {
  runtime: ScaleRuntime;
  buckets: number;
  objectsPerBucket: number;
  source: string;
  initialSyncS: number;
  initialCpuS: number;
  initialPeakRssMiB: number;
  steadyMinutes: number;
  steadyCpuPercent: number;
  steadyRssMiB: { min: number; max: number; end: number };
  peakRssMiB: number;
}

/** CPU seconds (user + system) and resident memory of one process, from /proc. */
export interface ProcSample {
  cpuS: number;
  rssMiB: number;
  /** VmHWM: the peak RSS so far. */
  hwmMiB: number;
}

/** What the initial-sync phase measured. */
export interface InitialSync {
  seconds: number;
  /** The child at the moment the last Bucket was done. */
  sample: ProcSample;
  peakRssMiB: number;
}

/** What the steady-state phase measured. */
export interface SteadyState {
  seconds: number;
  rssMiB: number[];
  end: ProcSample;
}

const TICK = 100; // USER_HZ on Linux
const INITIAL_SYNC_LIMIT_MS = 30 * 60_000;
// No Bucket finished for this long: something is stuck; fail rather than wait out the 30 minutes.
const STALL_LIMIT_MS = 3 * 60_000;
const STEADY_SAMPLE_MS = 5000;

/** Reads a process's CPU time and RSS from /proc; fails when the process is gone. */
export async function procSample(pid: number): Promise<ProcSample> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICK; // utime, stime
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { cpuS, rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

/**
 * Writes `buckets` folders of `objectsPerBucket` ~1 KiB YAML files (10 subfolders each) under `dataDir` and
 * returns each Bucket's absolute root folder, in order.
 */
export async function writeScaleData(
  dataDir: string,
  buckets: number,
  objectsPerBucket: number,
  log: (line: string) => void,
): Promise<string[]> {
  log(`scale: writing ${buckets} × ${objectsPerBucket} files`);
  const roots: string[] = [];
  for (let b = 0; b < buckets; b++) {
    const root = path.resolve(dataDir, `b${b}`);
    for (let d = 0; d < 10; d++) await mkdir(path.join(root, `dir${d}`), { recursive: true });
    await Promise.all(
      Array.from({ length: objectsPerBucket }, (_, i) =>
        writeFile(
          path.join(root, `dir${i % 10}`, `obj-${i}.yaml`),
          `# bucket ${b} object ${i}\n${"key: value\n".repeat(90)}`,
        ),
      ),
    );
    roots.push(root);
  }
  return roots;
}

/** A Bucket manifest of the scale runs: name b<index> in namespace "scale", 5-minute interval, file:// root. */
export function scaleBucket(
  index: number,
  root: string,
): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { interval: string; url: string };
} {
  return {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    metadata: { name: `b${index}`, namespace: "scale" },
    spec: { interval: "5m0s", url: `file://${root}` },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function assertRunning(child: ChildProcess, name: string, detail: () => string): void {
  if (child.exitCode !== null || child.signalCode !== null)
    throw new Error(`${name} exited (${child.exitCode ?? child.signalCode ?? ""})${detail()}`);
}

/**
 * Samples `child` every `pollMs` until `done()` counts `total` finished Buckets; logs progress every ~10 s.
 * Fails when the child exits, no Bucket finishes for 3 minutes or the sync takes over 30 minutes; `detail` adds
 * context (e.g. a log tail).
 */
export async function measureInitialSync(
  child: ChildProcess,
  name: string,
  total: number,
  done: () => Promise<number>,
  log: (line: string) => void,
  options: { pollMs?: number; detail?: () => string } = {},
): Promise<InitialSync> {
  const { pollMs = 1000, detail = () => "" } = options;
  const pid = child.pid ?? 0;
  const started = Date.now();
  let peak = 0;
  let lastLog = started;
  let progress = { count: 0, at: started };
  for (;;) {
    await sleep(pollMs);
    assertRunning(child, name, detail);
    peak = Math.max(peak, (await procSample(pid)).hwmMiB);
    const count = await done();
    if (count >= total) break;
    if (count > progress.count) progress = { count, at: Date.now() };
    if (Date.now() - progress.at > STALL_LIMIT_MS)
      throw new Error(`${name}: initial sync stalled at ${count}/${total} for 3 minutes${detail()}`);
    if (Date.now() - lastLog >= 10_000) {
      lastLog = Date.now();
      log(
        `scale: ${name}: ${count}/${total} Buckets done after ${((lastLog - started) / 1000).toFixed(0)} s`,
      );
    }
    if (Date.now() - started > INITIAL_SYNC_LIMIT_MS)
      throw new Error(`${name}: initial sync incomplete: ${count}/${total}${detail()}`);
  }
  const sample = await procSample(pid);
  return { seconds: (Date.now() - started) / 1000, sample, peakRssMiB: Math.max(peak, sample.hwmMiB) };
}

/** Samples `child`'s RSS every 5 s for `minutes`; fails when the child exits meanwhile. */
export async function measureSteady(
  child: ChildProcess,
  name: string,
  minutes: number,
  detail: () => string = () => "",
): Promise<SteadyState> {
  const pid = child.pid ?? 0;
  const started = Date.now();
  const rssMiB: number[] = [];
  while (Date.now() - started < minutes * 60_000) {
    await sleep(STEADY_SAMPLE_MS);
    assertRunning(child, name, detail);
    rssMiB.push((await procSample(pid)).rssMiB);
  }
  const end = await procSample(pid);
  return { seconds: (Date.now() - started) / 1000, rssMiB: rssMiB.length ? rssMiB : [end.rssMiB], end };
}

/** The ScaleResult of one run from its two measured phases. */
export function scaleResult(
  runtime: ScaleRuntime,
  options: ScaleOptions,
  initial: InitialSync,
  steady: SteadyState,
): ScaleResult {
  return {
    runtime,
    buckets: options.buckets,
    objectsPerBucket: options.objectsPerBucket,
    source: "file://",
    initialSyncS: initial.seconds,
    initialCpuS: initial.sample.cpuS,
    initialPeakRssMiB: initial.peakRssMiB,
    steadyMinutes: options.steadyMinutes,
    steadyCpuPercent: ((steady.end.cpuS - initial.sample.cpuS) / steady.seconds) * 100,
    steadyRssMiB: {
      min: Math.min(...steady.rssMiB),
      max: Math.max(...steady.rssMiB),
      end: steady.end.rssMiB,
    },
    peakRssMiB: steady.end.hwmMiB,
  };
}

/** One human-readable line of a scale result, prefixed with `label` (e.g. "scale" or "scale (controller)"). */
export function formatScale(label: string, scale: ScaleResult): string {
  return (
    `${label}: ${scale.buckets} Buckets × ${scale.objectsPerBucket} objects (${scale.source}), 5m interval: initial sync ` +
    `${scale.initialSyncS.toFixed(1)} s (${scale.initialCpuS.toFixed(1)} CPU s, peak RSS ${scale.initialPeakRssMiB.toFixed(0)} MiB); ` +
    `steady ${scale.steadyMinutes} min: ${scale.steadyCpuPercent.toFixed(2)} % CPU, RSS ` +
    `${scale.steadyRssMiB.min.toFixed(0)}–${scale.steadyRssMiB.max.toFixed(0)} MiB`
  );
}

/** Parses a comma-separated list of scale runtimes ("standalone,controller"); fails on an unknown name. */
export function parseScaleRuntimes(value: string): Set<ScaleRuntime> {
  const out = new Set<ScaleRuntime>();
  for (const name of value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const runtime = SCALE_RUNTIMES.find((r) => r === name);
    if (!runtime) throw new Error(`unknown scale runtime '${name}' (expected ${SCALE_RUNTIMES.join(", ")})`);
    out.add(runtime);
  }
  return out;
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the child is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

async function countFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir, { recursive: true })).filter((n) => n.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

/** Writes the data and one Bucket YAML, runs `bucketops run` on it and measures; always stops the child. */
export async function runScale(options: ScaleOptions, log: (line: string) => void): Promise<ScaleResult> {
  const config = path.join(options.workDir, "config");
  const storage = path.join(options.workDir, "storage");
  await mkdir(config, { recursive: true });
  const roots = await writeScaleData(
    path.join(options.workDir, "data"),
    options.buckets,
    options.objectsPerBucket,
    log,
  );
  // JSON documents are YAML: one file, one document per Bucket.
  const docs = roots.map((root, b) => JSON.stringify(scaleBucket(b, root)));
  await writeFile(path.join(config, "buckets.yaml"), `${docs.join("\n---\n")}\n`);

  const child = spawn(
    process.execPath,
    [options.cli, "run", "--config", config, "--storage", storage, "--listen", "127.0.0.1:0"],
    { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, NODE_ENV: "production" } },
  );
  try {
    // Initial sync: until every Bucket has saved its state after its first reconcile.
    const initial = await measureInitialSync(
      child,
      "bucketops run",
      options.buckets,
      () => countFiles(path.join(storage, "state")),
      log,
    );
    log(
      `scale: initial sync of ${options.buckets} Buckets in ${initial.seconds.toFixed(1)} s; steady state for ${options.steadyMinutes} min`,
    );
    const steady = await measureSteady(child, "bucketops run", options.steadyMinutes);
    return scaleResult("standalone", options, initial, steady);
  } finally {
    await stopChild(child);
  }
}
