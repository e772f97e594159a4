// One published state seen as a Helm repository: the index.yaml to serve and the chart files it names, built once
// per artifact digest into its own folder, so the index and the charts always come from the same state.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { readChartArchive } from "./chart-archive.js";
import { ChartError } from "./chart-errors.js";
import type { ChartMetadata } from "./chart-metadata.js";
import { chartFileName, packageChartDir } from "./chart-package.js";
import { statePathOfUrl, type RepoLocation } from "./chart-urls.js";
import {
  addChartVersion,
  chartVersionEntry,
  emptyRepoIndex,
  findChartVersion,
  parseRepoIndex,
  RepoIndexError,
  serializeRepoIndex,
  type ChartVersionEntry,
  type RepoIndex,
} from "./repo-index.js";
import { scanStateCharts } from "./state-scan.js";

/** A chart left out of the repository (or an index.yaml not used): which file, and why. */
export interface HelmProblem {
  file: string;
  kind: string;
  message: string;
}

/** A chart file the repository serves. */
export interface ServedChart {
  /** Absolute path of the archive. */
  file: string;
  /** sha256 hex, the ETag. */
  digest: string;
  size: number;
}

/** The repository view of one published state. */
export interface HelmView {
  /** The artifact digest the view was built from (`sha256:<hex>`). */
  artifactDigest: string;
  indexFile: string;
  /** sha256 hex of the served index.yaml bytes. */
  indexDigest: string;
  /** Served file name (`<chart>-<version>.tgz`) → archive. */
  charts: Map<string, ServedChart>;
  problems: HelmProblem[];
  /** Whether the index came from the state's own index.yaml (helm-s3 layout) rather than generated. */
  fromStateIndex: boolean;
}

export interface BuildViewOptions {
  artifactFile: string;
  artifactDigest: string;
  /** `created` of charts new in this state, and the index's `generated`: the artifact's lastUpdateTime. */
  publishedAt: string;
  location: RepoLocation;
  /** Where the finished view goes (must not exist yet); built beside it under a temp name, then renamed. */
  dir: string;
  tempDir: string;
  /** The previous view's index: charts unchanged since keep their `created`. */
  previous?: RepoIndex;
}

const VIEW_FILE = "view.json";
const INDEX_FILE = "index.yaml";

/**
 * Builds the view: with a root index.yaml (helm-s3 layout), its entries whose URL names an archive of the state,
 * URLs rewritten to `<chart>-<version>.tgz` relative to the repository and digests set to the served bytes'; without
 * one, an index generated from every chart archive. Chart folders are packaged (deterministic bytes) and added in
 * both cases unless the index already has that version. Bad input becomes a problem naming the file; the rest is
 * served. Fails only when the artifact cannot be read or the disk write fails.
 */
export async function buildHelmView(options: BuildViewOptions): Promise<HelmView> {
  const work = options.tempDir;
  const chartsDir = path.join(work, "charts");
  await mkdir(chartsDir, { recursive: true });
  const indexPath = `${options.location.prefixDir}index.yaml`;
  const state = await scanStateCharts(options.artifactFile, path.join(work, "state"), indexPath);
  const problems: HelmProblem[] = [];
  const charts = new Map<string, ServedChart>();
  let index = emptyRepoIndex(options.publishedAt);
  const serve = async (from: string, fileName: string, digest: string, size: number): Promise<void> => {
    await rename(from, path.join(chartsDir, fileName));
    charts.set(fileName, { file: path.join(options.dir, "charts", fileName), digest, size });
  };
  const created = (meta: ChartMetadata, digest: string): string => {
    const before = options.previous && findChartVersion(options.previous, meta.name, meta.version);
    return before?.digest === digest && before.created ? before.created : options.publishedAt;
  };
  const add = (entry: ChartVersionEntry, file: string): boolean => {
    if (findChartVersion(index, entry.name, entry.version)) {
      problems.push({ file, kind: "duplicate", message: `${entry.name} ${entry.version} is already served` });
      return false;
    }
    index = addChartVersion(index, entry);
    return true;
  };

  const stateIndex = readStateIndex(indexPath, state.indexText, state.indexTooLarge, problems);
  if (stateIndex) {
    for (const [chart, versions] of Object.entries(stateIndex.entries))
      for (const entry of versions) {
        const target = entry.urls.map((u) => statePathOfUrl(u, options.location));
        const found = target.find((p) => p !== undefined && state.archives.has(p));
        const fileName = chartFileName(entry);
        if (found === undefined) {
          if (target.every((p) => p === undefined))
            add(entry, indexPath); // external URLs: served as written
          else
            problems.push({
              file: indexPath,
              kind: "missing-chart",
              message: `${indexPath}: ${chart} ${entry.version}: ${entry.urls.join(", ")} is not in the published state`,
            });
          continue;
        }
        const archive = state.archives.get(found);
        if (!archive || charts.has(fileName)) continue;
        if (add({ ...entry, urls: [fileName], digest: archive.digest }, found))
          await serve(archive.file, fileName, archive.digest, archive.size);
      }
  } else {
    for (const [statePath, archive] of state.archives) {
      let meta: ChartMetadata;
      try {
        meta = await readChartArchive(createReadStream(archive.file), statePath);
      } catch (error: unknown) {
        if (!(error instanceof ChartError)) throw error;
        problems.push({ file: statePath, kind: error.kind, message: error.message });
        continue;
      }
      const fileName = chartFileName(meta);
      const entry = chartVersionEntry(meta, fileName, archive.digest, created(meta, archive.digest));
      if (add(entry, statePath)) await serve(archive.file, fileName, archive.digest, archive.size);
    }
  }
  let n = 0;
  for (const [statePath, folder] of state.folders) {
    try {
      const packaged = await packageChartDir(folder, path.join(work, "packaged", String(n++)));
      const digest = packaged.digest.replace(/^sha256:/, "");
      const entry = chartVersionEntry(
        packaged.metadata,
        packaged.fileName,
        digest,
        created(packaged.metadata, digest),
      );
      if (add(entry, `${statePath || "."}/`))
        await serve(packaged.file, packaged.fileName, digest, packaged.size);
    } catch (error: unknown) {
      if (!(error instanceof ChartError)) throw error;
      const file = `${statePath || "."}/` + (error.kind === "not-a-chart" ? "" : "Chart.yaml");
      problems.push({ file, kind: error.kind, message: error.message.split(folder).join(statePath || ".") });
    }
  }
  const text = serializeRepoIndex(index);
  await writeFile(path.join(work, INDEX_FILE), text);
  const view: HelmView = {
    artifactDigest: options.artifactDigest,
    indexFile: path.join(options.dir, INDEX_FILE),
    indexDigest: createHash("sha256").update(text).digest("hex"),
    charts,
    problems,
    fromStateIndex: stateIndex !== undefined,
  };
  await writeFile(path.join(work, VIEW_FILE), JSON.stringify({ ...view, charts: [...charts] }));
  return view;
}

/** Reads a view a previous process built (its folder holds view.json); undefined when there is none. */
export async function loadHelmView(dir: string): Promise<HelmView | undefined> {
  const text = await readFile(path.join(dir, VIEW_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const raw = JSON.parse(text) as Omit<HelmView, "charts"> & { charts: [string, ServedChart][] };
  return { ...raw, charts: new Map(raw.charts) };
}

function readStateIndex(
  file: string,
  text: string | undefined,
  tooLarge: number | undefined,
  problems: HelmProblem[],
): RepoIndex | undefined {
  if (tooLarge !== undefined)
    problems.push({
      file,
      kind: "too-large",
      message: `${file}: ${tooLarge} bytes is too large for an index`,
    });
  if (text === undefined) return undefined;
  try {
    return parseRepoIndex(text, file, (chart, reason) =>
      problems.push({ file, kind: "bad-entry", message: `${file}: ${chart}: ${reason}` }),
    );
  } catch (error: unknown) {
    if (!(error instanceof RepoIndexError)) throw error;
    problems.push({ file, kind: "bad-index", message: error.message });
    return undefined;
  }
}
