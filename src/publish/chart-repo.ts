// Where a chart repository lives under a Bucket's prefix, and the URLs its index.yaml gives the charts.
import type { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { parseRepoIndex, type ChartVersionEntry, type RepoIndex } from "../helm/repo-index.js";
import { prefixFolder } from "./index-object.js";

/** The index of a chart repository, at the root of the prefix's folder (where helm-s3 writes it). */
export const REPO_INDEX_NAME = "index.yaml";

/** The key of index.yaml for a Bucket's prefix. */
export function repoIndexKey(prefix: string): string {
  return `${prefixFolder(prefix)}${REPO_INDEX_NAME}`;
}

/** The key a chart archive is stored under: `<prefix folder><name>-<version>.tgz`. */
export function chartKey(prefix: string, fileName: string): string {
  return `${prefixFolder(prefix)}${fileName}`;
}

/**
 * How index entries name their archive. "relative" (the default): the path under the prefix, e.g.
 * `app-1.0.0.tgz`, which Helm resolves against the repository URL, so the same index works wherever it is served
 * (bucketops, a static web host, helm-s3 ≥ 0.10). A base URL (https://…, or s3://bucket/prefix as helm-s3 writes
 * by default): `<base>/<path>`.
 */
export type ChartUrlStyle = { relative: true } | { base: string };

/** The URL of the archive at `relPath` (relative to the prefix's folder) in the given style. */
export function chartUrl(relPath: string, style: ChartUrlStyle): string {
  return "base" in style ? `${style.base.replace(/\/+$/, "")}/${relPath}` : relPath;
}

/**
 * The key of the archive an entry names, for `chart delete`: a relative URL is a path under the prefix's folder;
 * an absolute one (s3://…, https://…) is taken by its last path segment, which is where helm-s3 and `chart push`
 * put it. Undefined for a URL that could leave the folder ("..", "." or empty segments).
 */
export function entryArchiveKey(prefix: string, entry: ChartVersionEntry): string | undefined {
  const url = entry.urls[0];
  if (url === undefined) return undefined;
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(url);
  const rel = absolute ? (new URL(url).pathname.split("/").pop() ?? "") : (url.split(/[?#]/)[0] ?? "");
  const segments = decodeURIComponent(rel).split("/");
  if (rel.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..")) return undefined;
  return `${prefixFolder(prefix)}${segments.join("/")}`;
}

/** Parses index.yaml bytes read from `key`; RepoIndexError names the key when they are not an index. */
export function parseStoredIndex(bytes: Buffer, key: string): RepoIndex {
  return parseRepoIndex(bytes.toString("utf8"), key);
}

/** Lowercase hex sha256 and size of a stream, read to its end (never held whole). */
export async function hashStream(body: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    hash.update(chunk);
  }
  return { sha256: hash.digest("hex"), size };
}
