// Scale: `bucketops run` (the built CLI, as a child) with many file:// Buckets on a 5-minute interval; samples the
// child's CPU and RSS from /proc during the initial sync and then in steady state.
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface ScaleOptions {
  workDir: string;
  buckets: number;
  objectsPerBucket: number;
  steadyMinutes: number;
  cli: string;
}

export interface ScaleResult {
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

const TICK = 100; // USER_HZ on Linux

async function procSample(pid: number): Promise<{ cpuS: number; rssMiB: number; hwmMiB: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICK; // utime, stime
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { cpuS, rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

async function countFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir, { recursive: true })).filter((n) => n.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

export async function runScale(options: ScaleOptions, log: (line: string) => void): Promise<ScaleResult> {
  const data = path.join(options.workDir, "data");
  const config = path.join(options.workDir, "config");
  const storage = path.join(options.workDir, "storage");
  await mkdir(config, { recursive: true });
  log(`scale: writing ${options.buckets} × ${options.objectsPerBucket} files`);
  const docs: string[] = [];
  for (let b = 0; b < options.buckets; b++) {
    const root = path.join(data, `b${b}`);
    for (let d = 0; d < 10; d++) await mkdir(path.join(root, `dir${d}`), { recursive: true });
    await Promise.all(
      Array.from({ length: options.objectsPerBucket }, (_, i) =>
        writeFile(
          path.join(root, `dir${i % 10}`, `obj-${i}.yaml`),
          `# bucket ${b} object ${i}\n${"key: value\n".repeat(90)}`,
        ),
      ),
    );
    docs.push(
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: b${b}, namespace: scale}\n` +
        `spec: {interval: 5m0s, url: "file://${root}"}\n`,
    );
  }
  await writeFile(path.join(config, "buckets.yaml"), docs.join("---\n"));

  const child = spawn(
    process.execPath,
    [options.cli, "run", "--config", config, "--storage", storage, "--listen", "127.0.0.1:0"],
    { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, NODE_ENV: "production" } },
  );
  const pid = child.pid ?? 0;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    const started = Date.now();
    let peak = 0;
    // Initial sync: until every Bucket has saved its state after its first reconcile.
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (child.exitCode !== null) throw new Error(`bucketops run exited with ${child.exitCode}`);
      const s = await procSample(pid);
      peak = Math.max(peak, s.hwmMiB);
      const done = await countFiles(path.join(storage, "state"));
      if (done >= options.buckets) break;
      if (Date.now() - started > 30 * 60_000) throw new Error(`initial sync incomplete: ${done}`);
    }
    const initial = await procSample(pid);
    const initialSyncS = (Date.now() - started) / 1000;
    log(
      `scale: initial sync of ${options.buckets} Buckets in ${initialSyncS.toFixed(1)} s; steady state for ${options.steadyMinutes} min`,
    );
    const steadyStart = Date.now();
    const rss: number[] = [];
    while (Date.now() - steadyStart < options.steadyMinutes * 60_000) {
      await new Promise((r) => setTimeout(r, 5000));
      rss.push((await procSample(pid)).rssMiB);
    }
    const end = await procSample(pid);
    const steadyS = (Date.now() - steadyStart) / 1000;
    return {
      buckets: options.buckets,
      objectsPerBucket: options.objectsPerBucket,
      source: "file://",
      initialSyncS,
      initialCpuS: initial.cpuS,
      initialPeakRssMiB: Math.max(peak, initial.hwmMiB),
      steadyMinutes: options.steadyMinutes,
      steadyCpuPercent: ((end.cpuS - initial.cpuS) / steadyS) * 100,
      steadyRssMiB: { min: Math.min(...rss), max: Math.max(...rss), end: end.rssMiB },
      peakRssMiB: end.hwmMiB,
    };
  } finally {
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}
