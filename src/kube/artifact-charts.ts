// The Helm charts in a Bucket's artifact (its published state): packaged `.tgz` files and chart folders (a folder
// holding Chart.yaml; subcharts under it belong to it), each as one chart archive file with its metadata and digest.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { readChartArchive } from "../helm/chart-archive.js";
import { ChartError } from "../helm/chart-errors.js";
import type { ChartMetadata } from "../helm/chart-metadata.js";
import { packageChartDir } from "../helm/chart-package.js";
import { compareVersions, parseSemVer } from "../helm/semver.js";

/** One chart version found in the artifact, packaged into `file`. */
export interface ArtifactChart {
  /** The object key it came from: `x/y.tgz` or the chart folder `x/y`. */
  source: string;
  metadata: ChartMetadata;
  /** A file holding the chart archive (inside the work folder). */
  file: string;
  /** `sha256:<hex>` of the archive bytes. */
  digest: string;
  size: number;
}

export interface ArtifactCharts {
  /** Per chart name, its newest version (the newest release; a prerelease only when there is no release). */
  charts: ArtifactChart[];
  /** Keys that look like charts but are not usable ones, with why (the message names the key). */
  skipped: ChartError[];
}

/**
 * Reads the artifact tar.gz at `artifactFile` twice (names, then the chart files) and packages every chart into
 * `workDir`. A bad chart is skipped and reported in `skipped`; other charts are still returned. Fails only when
 * the artifact itself cannot be read.
 */
export async function chartsInArtifact(artifactFile: string, workDir: string): Promise<ArtifactCharts> {
  const names = await entryNames(artifactFile);
  const roots = chartRoots(names);
  const archives = names.filter((n) => n.endsWith(".tgz") && insideRoot(n, roots) === undefined);
  const filesDir = path.join(workDir, "files");
  const outDir = path.join(workDir, "out");
  await mkdir(outDir, { recursive: true });
  await extractWanted(
    artifactFile,
    filesDir,
    (name) => archives.includes(name) || insideRoot(name, roots) !== undefined,
  );

  const found: ArtifactChart[] = [];
  const skipped: ChartError[] = [];
  for (const key of archives) {
    const file = path.join(filesDir, key);
    try {
      const metadata = await readChartArchive(createReadStream(file), key);
      const { digest, size } = await hashFile(file);
      found.push({ source: key, metadata, file, digest, size });
    } catch (error: unknown) {
      skipped.push(asChartError(error, key));
    }
  }
  for (const [i, root] of [...roots].sort().entries()) {
    try {
      const packaged = await packageChartDir(path.join(filesDir, root), path.join(outDir, String(i)));
      found.push({
        source: root,
        metadata: packaged.metadata,
        file: packaged.file,
        digest: packaged.digest,
        size: packaged.size,
      });
    } catch (error: unknown) {
      skipped.push(keyRelative(asChartError(error, root), filesDir));
    }
  }
  return { charts: newestPerName(found), skipped };
}

/** Folders holding a Chart.yaml that are not inside another such folder ("" is the artifact root). */
export function chartRoots(names: readonly string[]): Set<string> {
  const dirs = names
    .filter((n) => n === "Chart.yaml" || n.endsWith("/Chart.yaml"))
    .map((n) => n.slice(0, -"Chart.yaml".length).replace(/\/$/, ""))
    .sort((a, b) => a.length - b.length);
  const roots = new Set<string>();
  for (const dir of dirs) if (insideRoot(dir, roots) === undefined) roots.add(dir);
  return roots;
}

function insideRoot(name: string, roots: ReadonlySet<string>): string | undefined {
  for (const root of roots) if (root === "" || name === root || name.startsWith(`${root}/`)) return root;
  return undefined;
}

/** Per chart name the version a HelmRelease without a version would take: the newest release. */
function newestPerName(charts: ArtifactChart[]): ArtifactChart[] {
  const best = new Map<string, ArtifactChart>();
  const rank = (c: ArtifactChart): boolean => (parseSemVer(c.metadata.version)?.prerelease.length ?? 1) === 0;
  for (const chart of charts) {
    const current = best.get(chart.metadata.name);
    if (
      !current ||
      (rank(chart) && !rank(current)) ||
      (rank(chart) === rank(current) && compareVersions(chart.metadata.version, current.metadata.version) > 0)
    )
      best.set(chart.metadata.name, chart);
  }
  return [...best.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

// Errors about files of an extracted folder name the object key, not the work folder's path.
function keyRelative(error: ChartError, filesDir: string): ChartError {
  const prefix = filesDir + path.sep;
  if (!error.file.startsWith(prefix)) return error;
  const file = error.file.slice(prefix.length).split(path.sep).join("/");
  const message = error.message.slice(error.file.length + 2).replaceAll(prefix, "");
  return new ChartError(error.kind, file, message, { cause: error });
}

function asChartError(error: unknown, key: string): ChartError {
  if (error instanceof ChartError) return error;
  return new ChartError("bad-archive", key, error instanceof Error ? error.message : String(error));
}

async function entryNames(file: string): Promise<string[]> {
  const names: string[] = [];
  const extract = tar.extract();
  extract.on("entry", (header, stream, next) => {
    if (header.type === "file") names.push(header.name.replace(/^\.\//, ""));
    stream.on("end", next);
    stream.resume();
  });
  await pipeline(createReadStream(file), createGunzip(), extract);
  return names;
}

// Writes the wanted regular files under `dir`. The artifact's names are safe paths (bucketops wrote it), checked
// again here so nothing lands outside `dir`.
async function extractWanted(file: string, dir: string, wanted: (name: string) => boolean): Promise<void> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const extract = tar.extract();
  const done = pipeline(createReadStream(file), createGunzip(), extract);
  done.catch(() => undefined);
  for await (const entry of extract) {
    const name = entry.header.name.replace(/^\.\//, "");
    const target = path.resolve(root, name);
    if (entry.header.type !== "file" || !wanted(name) || !target.startsWith(root + path.sep)) {
      entry.resume();
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await pipeline(entry, createWriteStream(target));
  }
  await done;
}

/** sha256 and size of a file. */
export async function hashFile(file: string): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { digest: `sha256:${hash.digest("hex")}`, size: (await stat(file)).size };
}

/** Moves `file` to `target` (same filesystem), replacing nothing already there with the same content. */
export async function moveInto(file: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  ) {
    await rm(file, { force: true });
    return;
  }
  await rename(file, target);
}
