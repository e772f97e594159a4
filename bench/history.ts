// The history row of `npm run bench`: a versioned MinIO bucket with N keys × V versions (V syncs of every key,
// separated by a quiet gap, so V change points), then the time to list the versions and compute the change
// points in-process (the history module, as the CLI and API call it), and the wall time of `bucketops history`.
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { withBucket } from "../src/engine/open-bucket.js";
import { changePoints, loadVersions } from "../src/source/history.js";
import type { BenchMinio } from "./minio.js";

const BUCKET = "bench-history";
/** Longer than history-timeline's 2 s window: each sync is one change. */
const QUIET_GAP_MS = 2500;

export interface HistoryBenchOptions {
  keys: number;
  versions: number;
  workDir: string;
  /** dist/src/cli/main.js */
  cli: string;
}

export interface HistoryBenchResult {
  keys: number;
  versionsPerKey: number;
  /** Versions listed. */
  entries: number;
  changePoints: number;
  /** listVersions of the whole prefix (paginated), in-process. */
  listMs: number;
  /** The change points from the listed versions (one sweep, a revision per change), in-process. */
  computeMs: number;
  listRequests: number;
  /** `bucketops history -o json`: process start, listing, change points, output. */
  cliWallMs: number;
  cliChangePoints: number;
  uploadS: number;
}

function key(i: number): string {
  return `h/team-${i % 10}/app-${Math.floor(i / 10) % 10}/manifest-${String(i).padStart(5, "0")}.yaml`;
}

async function upload(
  minio: BenchMinio,
  options: HistoryBenchOptions,
  log: (line: string) => void,
): Promise<number> {
  const started = performance.now();
  const limit = pLimit(32);
  for (let v = 0; v < options.versions; v++) {
    if (v > 0) await sleep(QUIET_GAP_MS);
    await Promise.all(
      Array.from({ length: options.keys }, (_, i) =>
        limit(() =>
          minio.client.send(
            new PutObjectCommand({
              Bucket: BUCKET,
              Key: key(i),
              Body: `# object ${i} version ${v}\nkind: ConfigMap\nmetadata: {name: cm-${i}}\n`,
            }),
          ),
        ),
      ),
    );
    log(`history: version ${v + 1} of ${options.keys} keys uploaded`);
  }
  return (performance.now() - started) / 1000;
}

function runHistoryCli(
  cli: string,
  file: string,
  cacheDir: string,
): Promise<{ wallMs: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, "history", file, "-o", "json", "--cache-dir", cacheDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve({ wallMs: performance.now() - started, stdout: out });
      else reject(new Error(`bucketops history exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

/** Uploads the versions, then measures the history in-process and through the CLI. */
export async function runHistoryBench(
  minio: BenchMinio,
  options: HistoryBenchOptions,
  log: (line: string) => void,
): Promise<HistoryBenchResult> {
  await minio.client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await minio.client.send(
    new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }),
  );
  log(`history: uploading ${options.keys} keys × ${options.versions} versions`);
  const uploadS = await upload(minio, options, log);
  const spec = {
    interval: "1h",
    provider: "generic",
    bucketName: BUCKET,
    prefix: "h/",
    endpoint: minio.endpoint,
    insecure: true,
    secretRef: { name: "minio" },
  };
  const secret = { accesskey: minio.accessKey, secretkey: minio.secretKey };
  const source = {
    spec,
    baseDir: options.workDir,
    namespace: "bench",
    readSecret: () => Promise.resolve(secret),
  };
  const measured = await withBucket(source, async ({ provider }) => {
    const t0 = performance.now();
    const table = await loadVersions(provider, spec.prefix);
    const t1 = performance.now();
    // No .sourceignore in the prefix: nothing is read.
    const points = await changePoints(table, () => Promise.reject(new Error("no content is read")));
    const t2 = performance.now();
    return {
      entries: table.count,
      changePoints: points.length,
      listMs: t1 - t0,
      computeMs: t2 - t1,
      listRequests: provider.requests.list,
    };
  });
  await mkdir(options.workDir, { recursive: true });
  const file = path.join(options.workDir, "history-bucket.yaml");
  await writeFile(
    file,
    `apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\nmetadata: {name: history, namespace: bench}\nspec: ${JSON.stringify(spec)}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: minio, namespace: bench}\nstringData: ${JSON.stringify(secret)}\n`,
  );
  const cli = await runHistoryCli(options.cli, file, path.join(options.workDir, "history-cache"));
  const result: HistoryBenchResult = {
    keys: options.keys,
    versionsPerKey: options.versions,
    ...measured,
    cliWallMs: cli.wallMs,
    cliChangePoints: (JSON.parse(cli.stdout) as unknown[]).length,
    uploadS,
  };
  log(formatHistoryBench(result));
  return result;
}

/** The history row as one table line with its header. */
export function formatHistoryBench(r: HistoryBenchResult): string {
  const head = ["history", "versions", "change points", "LIST", "list s", "compute s", "CLI wall s"];
  const row = [
    `${r.keys.toLocaleString("en")} keys × ${r.versionsPerKey}`,
    String(r.entries),
    `${r.changePoints} (CLI ${r.cliChangePoints})`,
    String(r.listRequests),
    (r.listMs / 1000).toFixed(2),
    (r.computeMs / 1000).toFixed(3),
    (r.cliWallMs / 1000).toFixed(2),
  ];
  const widths = head.map((h, i) => Math.max(h.length, (row[i] ?? "").length));
  const fmt = (l: string[]): string => `| ${l.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [fmt(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, fmt(row)].join("\n");
}
