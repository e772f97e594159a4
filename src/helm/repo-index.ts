// A Helm repository's index.yaml: parse, edit and write it in one stable order, so the same charts always give the
// same bytes (apart from `generated`, which the caller passes in).
import { parse, stringify } from "yaml";
import type { ChartMetadata } from "./chart-metadata.js";
import { compareVersions, parseSemVer } from "./semver.js";

/** One chart version in the index: its Chart.yaml fields plus where to download it. */
export interface ChartVersionEntry extends ChartMetadata {
  urls: string[];
  /** sha256 hex of the archive (Helm's form: no `sha256:` prefix). */
  digest?: string;
  /** RFC 3339. */
  created?: string;
}

/** index.yaml: chart name → its versions, newest first once serialized. */
export interface RepoIndex {
  apiVersion: string;
  entries: Record<string, ChartVersionEntry[]>;
  generated?: string;
  [field: string]: unknown;
}

/** index.yaml cannot be used as a whole; the message names the file. */
export class RepoIndexError extends Error {
  override readonly name = "RepoIndexError";
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** The version is already in the index (a push without --force). */
export class DuplicateChartVersionError extends Error {
  override readonly name = "DuplicateChartVersionError";
  constructor(
    readonly chart: string,
    readonly version: string,
  ) {
    super(`chart ${chart} version ${version} is already in the repository index`);
  }
}

/** An index with no charts. */
export function emptyRepoIndex(generated?: string): RepoIndex {
  return generated === undefined
    ? { apiVersion: "v1", entries: {} }
    : { apiVersion: "v1", entries: {}, generated };
}

/**
 * Parses index.yaml text. Fails with RepoIndexError naming `file` when the YAML does not parse or is not an index
 * (no mapping, `entries` not a mapping of lists). A single entry without a name, a SemVer version or URLs is left
 * out and reported to `onSkip`, as Helm skips it, so one bad entry does not hide the others. An empty file is an
 * empty index.
 */
export function parseRepoIndex(
  text: string,
  file: string,
  onSkip?: (chart: string, reason: string) => void,
): RepoIndex {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error: unknown) {
    throw new RepoIndexError(file, `index.yaml does not parse: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (doc === null || doc === undefined) return emptyRepoIndex();
  if (!isRecord(doc)) throw new RepoIndexError(file, "index.yaml is not a YAML mapping");
  const rawEntries = doc.entries ?? {};
  if (!isRecord(rawEntries)) throw new RepoIndexError(file, "index.yaml `entries` is not a mapping");
  const entries: Record<string, ChartVersionEntry[]> = {};
  for (const [chart, list] of Object.entries(rawEntries)) {
    if (list === null) continue;
    if (!Array.isArray(list)) throw new RepoIndexError(file, `index.yaml entries.${chart} is not a list`);
    const versions: ChartVersionEntry[] = [];
    for (const item of list as unknown[]) {
      const entry = toEntry(item);
      if (typeof entry === "string") onSkip?.(chart, entry);
      else versions.push(entry);
    }
    if (versions.length > 0) entries[chart] = versions;
  }
  const apiVersion = typeof doc.apiVersion === "string" ? doc.apiVersion : "v1";
  return { ...doc, apiVersion, entries };
}

/**
 * Serializes the index: top-level apiVersion, entries, generated, then other fields; charts sorted by name, each
 * chart's versions newest first by SemVer, each entry's fields in alphabetical order (as Helm writes them).
 */
export function serializeRepoIndex(index: RepoIndex): string {
  const { apiVersion, entries, generated, ...rest } = index;
  const sorted: Record<string, Record<string, unknown>[]> = {};
  for (const chart of Object.keys(entries).sort()) {
    const versions = [...(entries[chart] ?? [])].sort((a, b) => compareVersions(b.version, a.version));
    sorted[chart] = versions.map(sortKeys);
  }
  const out: Record<string, unknown> = { apiVersion, entries: sorted };
  if (generated !== undefined) out.generated = generated;
  for (const key of Object.keys(rest).sort()) out[key] = rest[key];
  return stringify(out, { lineWidth: 0 });
}

/**
 * Returns the index with `entry` added under its name. When that name and version is already there it throws
 * DuplicateChartVersionError, or replaces it when `force` is set.
 */
export function addChartVersion(index: RepoIndex, entry: ChartVersionEntry, force = false): RepoIndex {
  const current = index.entries[entry.name] ?? [];
  const existing = current.findIndex((e) => e.version === entry.version);
  if (existing !== -1 && !force) throw new DuplicateChartVersionError(entry.name, entry.version);
  const versions = current.filter((_, i) => i !== existing);
  return { ...index, entries: { ...index.entries, [entry.name]: [...versions, entry] } };
}

/** Returns the index without chart `name` at `version` (a chart left with no versions is dropped) and the entry removed. */
export function removeChartVersion(
  index: RepoIndex,
  name: string,
  version: string,
): { index: RepoIndex; removed?: ChartVersionEntry } {
  const current = index.entries[name] ?? [];
  const removed = current.find((e) => e.version === version);
  if (!removed) return { index };
  const rest = current.filter((e) => e !== removed);
  const entries = Object.fromEntries(
    Object.entries(index.entries)
      .map(([chart, versions]) => [chart, chart === name ? rest : versions] as const)
      .filter(([, versions]) => versions.length > 0),
  );
  return { index: { ...index, entries }, removed };
}

/** Looks up one chart version. */
export function findChartVersion(
  index: RepoIndex,
  name: string,
  version: string,
): ChartVersionEntry | undefined {
  return index.entries[name]?.find((e) => e.version === version);
}

/** Returns the index with every entry's URLs replaced by `rewrite(url, entry)`. */
export function rewriteChartUrls(
  index: RepoIndex,
  rewrite: (url: string, entry: ChartVersionEntry) => string,
): RepoIndex {
  const entries: Record<string, ChartVersionEntry[]> = {};
  for (const [chart, versions] of Object.entries(index.entries))
    entries[chart] = versions.map((e) => ({ ...e, urls: e.urls.map((url) => rewrite(url, e)) }));
  return { ...index, entries };
}

/** An index entry for a chart archive: its metadata, URL, digest (sha256 hex or `sha256:<hex>`) and time. */
export function chartVersionEntry(
  metadata: ChartMetadata,
  url: string,
  digest: string,
  created: string,
): ChartVersionEntry {
  return { ...metadata, urls: [url], digest: digest.replace(/^sha256:/, ""), created };
}

function toEntry(item: unknown): ChartVersionEntry | string {
  if (!isRecord(item)) return "an entry is not a mapping";
  const name = typeof item.name === "string" ? item.name : undefined;
  const version =
    typeof item.version === "string"
      ? item.version
      : typeof item.version === "number"
        ? String(item.version)
        : "";
  if (!name) return "an entry has no name";
  if (!parseSemVer(version)) return `version "${version}" is not SemVer`;
  const urls = Array.isArray(item.urls) ? item.urls.filter((u): u is string => typeof u === "string") : [];
  if (urls.length === 0) return `version ${version} has no urls`;
  const apiVersion = typeof item.apiVersion === "string" ? item.apiVersion : "v1";
  return { ...item, apiVersion, name, version, urls };
}

function sortKeys(entry: ChartVersionEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(entry).sort()) if (entry[key] !== undefined) out[key] = entry[key];
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
