// `helm package` for a chart folder, deterministically: the same files give the same .tgz bytes and digest on
// every run and every machine (sorted entries, mtime 0, uid/gid 0, fixed modes, gzip without name or time).
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import ignore, { type Ignore } from "ignore";
import { writeTarGz, type ArchiveEntry } from "../artifact/tarball.js";
import { ChartError } from "./chart-errors.js";
import { MAX_CHART_YAML_BYTES, parseChartYaml, type ChartMetadata } from "./chart-metadata.js";

/** A packaged chart: where its archive is and what it holds. */
export interface PackagedChart {
  /** `<outDir>/<name>-<version>.tgz`. */
  file: string;
  /** `<name>-<version>.tgz`. */
  fileName: string;
  metadata: ChartMetadata;
  /** `sha256:<hex>` of the archive bytes. */
  digest: string;
  size: number;
}

/** Helm's own default rule: dotfiles under templates/ are never rendered, so never packaged. */
const DEFAULT_HELMIGNORE = "templates/.?*";

/** The archive name `helm package` gives a chart. */
export function chartFileName(metadata: Pick<ChartMetadata, "name" | "version">): string {
  return `${metadata.name}-${metadata.version}.tgz`;
}

/**
 * Reads and validates `<dir>/Chart.yaml`. Fails with ChartError naming that file ("not-a-chart" when it is
 * missing, else what parseChartYaml reports).
 */
export async function readChartDir(dir: string): Promise<ChartMetadata> {
  const file = path.join(dir, "Chart.yaml");
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new ChartError("not-a-chart", dir, "the folder holds no Chart.yaml");
  if (info.size > MAX_CHART_YAML_BYTES)
    throw new ChartError(
      "too-large",
      file,
      `Chart.yaml is ${info.size} bytes (at most ${MAX_CHART_YAML_BYTES})`,
    );
  return parseChartYaml(await readFile(file, "utf8"), file);
}

/**
 * Packages the chart folder `dir` into `<outDir>/<name>-<version>.tgz` (written to a temp name, then renamed),
 * every file under `<name>/` as `helm package` lays it out, minus what `.helmignore` (gitignore syntax) excludes.
 * Symlinks are followed to files inside the folder only. Fails with ChartError for a bad Chart.yaml or a symlink
 * leaving the folder.
 */
export async function packageChartDir(dir: string, outDir: string): Promise<PackagedChart> {
  const root = await realpath(path.resolve(dir)).catch((error: unknown) => {
    throw new ChartError("not-a-chart", dir, `cannot read the folder: ${(error as Error).message}`);
  });
  const metadata = await readChartDir(root);
  const rules = ignore({ allowRelativePaths: true }).add(DEFAULT_HELMIGNORE);
  const helmignore = await readFile(path.join(root, ".helmignore"), "utf8").catch(() => "");
  rules.add(helmignore);
  const entries: ArchiveEntry[] = [];
  await walk(root, "", rules, (rel, file, size) => {
    entries.push({ name: `${metadata.name}/${rel}`, file, size });
  });
  const fileName = chartFileName(metadata);
  await mkdir(outDir, { recursive: true });
  const target = path.join(outDir, fileName);
  const temp = path.join(outDir, `.${fileName}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const result = await writeTarGz(entries, temp);
    await rename(temp, target);
    return { file: target, fileName, metadata, digest: result.digest, size: result.size };
  } catch (error: unknown) {
    await rm(temp, { force: true });
    throw error;
  }
}

type Visit = (rel: string, file: string, size: number) => void;

async function walk(root: string, rel: string, rules: Ignore, visit: Visit): Promise<void> {
  const names = (await readdir(path.join(root, rel))).sort();
  for (const name of names) {
    const childRel = rel === "" ? name : `${rel}/${name}`;
    const file = path.join(root, childRel);
    const info = await lstat(file);
    let target = info;
    if (info.isSymbolicLink()) {
      const real = await realpath(file).catch(() => undefined);
      if (!real || (real !== root && !real.startsWith(root + path.sep)))
        throw new ChartError("bad-archive", file, "symlink leads outside the chart folder");
      target = await stat(real);
      // A linked folder could lead back to its parent: only linked files are packaged.
      if (target.isDirectory())
        throw new ChartError("bad-archive", file, "symlinked folders are not packaged");
    }
    if (target.isDirectory()) {
      if (!rules.ignores(`${childRel}/`)) await walk(root, childRel, rules, visit);
    } else if (target.isFile() && !rules.ignores(childRel)) {
      visit(childRel, file, target.size);
    }
  }
}
