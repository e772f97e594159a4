// Finds a published state's chart material in its artifact: the .tgz files, the chart folders (a folder holding
// Chart.yaml that is not inside another chart) and a root index.yaml; then extracts only those.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";

/** index.yaml bytes read at most: helm-s3 indexes of thousands of versions are a few MiB. */
export const MAX_INDEX_BYTES = 32 * 1024 * 1024;

/** What the artifact holds for Helm. */
export interface StateCharts {
  /** Chart archives (not inside a chart folder): state path → extracted file and its sha256 hex. */
  archives: Map<string, { file: string; digest: string; size: number }>;
  /** Chart folders: state path of the folder → extracted folder. */
  folders: Map<string, string>;
  /** The root index.yaml's text, when the state has one. */
  indexText?: string;
  /** The root index.yaml was bigger than MAX_INDEX_BYTES (left out). */
  indexTooLarge?: number;
}

/**
 * Lists the artifact once for chart folders, then extracts the archives, the folders and the index (`indexPath`, the
 * prefix folder's index.yaml) under `workDir`.
 */
export async function scanStateCharts(
  artifactFile: string,
  workDir: string,
  indexPath: string,
): Promise<StateCharts> {
  const chartDirs: string[] = [];
  await eachEntry(artifactFile, (name, entry) => {
    if (name.endsWith("/Chart.yaml")) chartDirs.push(name.slice(0, -"/Chart.yaml".length));
    else if (name === "Chart.yaml") chartDirs.push("");
    entry.resume();
    return Promise.resolve();
  });
  const roots = outermost(chartDirs);
  const inRoot = (name: string): string | undefined =>
    roots.find((root) => root === "" || name.startsWith(`${root}/`));
  const result: StateCharts = { archives: new Map(), folders: new Map() };
  let n = 0;
  await eachEntry(artifactFile, async (name, entry) => {
    const root = inRoot(name);
    if (root !== undefined) {
      const folder = path.join(workDir, "folders", root === "" ? "_root" : root);
      result.folders.set(root, folder);
      const target = path.join(folder, root === "" ? name : name.slice(root.length + 1));
      if (!target.startsWith(workDir + path.sep)) {
        entry.resume(); // keys are checked before publishing; this only guards the extraction
        return;
      }
      await mkdir(path.dirname(target), { recursive: true });
      await pipeline(entry, createWriteStream(target));
    } else if (name.endsWith(".tgz")) {
      const file = path.join(workDir, "archives", `${n++}.tgz`);
      await mkdir(path.dirname(file), { recursive: true });
      const hash = createHash("sha256");
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done): void {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(entry, tap, createWriteStream(file));
      result.archives.set(name, { file, digest: hash.digest("hex"), size });
    } else if (name === indexPath) {
      const size = entry.header.size ?? 0;
      if (size > MAX_INDEX_BYTES) {
        result.indexTooLarge = size;
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      result.indexText = Buffer.concat(chunks).toString("utf8");
    } else {
      entry.resume();
    }
  });
  return result;
}

/** An archive entry as tar-stream's async iterator yields it. */
type Entry = tar.Extract extends AsyncIterable<infer E> ? E : never;
type EntryHandler = (name: string, entry: Entry) => Promise<void>;

async function eachEntry(artifactFile: string, handle: EntryHandler): Promise<void> {
  const extract = tar.extract();
  const done = pipeline(createReadStream(artifactFile), createGunzip(), extract);
  done.catch(() => undefined); // surfaced by `await done` below, or by the loop's own error
  for await (const entry of extract) {
    if (entry.header.type !== "file") {
      entry.resume();
      continue;
    }
    await handle(entry.header.name.replace(/^\.\//, ""), entry);
  }
  await done;
}

/** The chart folders not inside another (a chart's charts/<sub>/ belongs to it). */
function outermost(dirs: string[]): string[] {
  const sorted = [...new Set(dirs)].sort((a, b) => a.length - b.length);
  const roots: string[] = [];
  for (const dir of sorted)
    if (!roots.some((root) => root === "" || dir.startsWith(`${root}/`))) roots.push(dir);
  return roots;
}
