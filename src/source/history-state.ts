// The state of a prefix at an instant, from its versions: what a listing at that instant would have given, then
// filtered exactly as a live scan is (scan-filter), so its revision is the one the state had while it was live.
import type { ObjectInfo, ObjectVersion } from "../providers/types.js";
import type { IgnoreLayer } from "./ignore-rules.js";
import { ObjectIndex, ObjectIndexBuilder } from "./object-index.js";
import { filterListing } from "./scan-filter.js";
import { SOURCE_IGNORE, type ScanResult } from "./scan.js";
import { versionAt, type VersionTable } from "./history-versions.js";

/** What identifies one version's content: the cache key (key + etag), and the versionId to GET it by. */
export type VersionRef = Pick<ObjectVersion, "key" | "etag" | "size" | "md5" | "versionId">;

/** Reads one version's whole content (through the content cache, see history-content). */
export type ReadVersion = (version: VersionRef) => Promise<Buffer>;

/** The settings a scan of the prefix takes (see ScanOptions): spec.ignore and the control folder. */
export interface StateOptions {
  /** spec.ignore, applied after the .sourceignore files. */
  ignore?: string | undefined;
  /** Keys under it (e.g. `<prefix>/.bucketops/`) are set aside as `control`, never published. */
  controlFolder?: string | undefined;
  /** spec.versions: these keys take the version named (a delete marker's id leaves the key out), whatever `at`. */
  versions?: Readonly<Record<string, string>> | undefined;
}

/** spec.versions names a version the listing does not have under that key. */
export class VersionNotFoundError extends Error {
  override readonly name = "VersionNotFoundError";
  constructor(
    readonly key: string,
    readonly versionId: string,
  ) {
    super(
      `spec.versions: object ${JSON.stringify(key)} has no version ${JSON.stringify(versionId)} under the prefix (deleted, or a typo)`,
    );
  }
}

/** A past (or the latest) state of the prefix, shaped like a live scan, with the version of each key. */
export interface HistoryState extends ScanResult {
  /** The instant asked for. */
  at: Date;
  /** The newest version or delete marker not after `at` (when this state began); undefined: nothing existed. */
  resolvedAt: Date | undefined;
  /** Flux's revision of `index`: the one this state had while it was live. */
  revision: string;
  /** The versionId of every key of `index`, of `control` and of `ignoreFiles`. */
  versionIds: ReadonlyMap<string, string>;
}

/**
 * The state of the prefix at `at`: per key the newest version not after `at`, left out when that is a delete
 * marker; the `.sourceignore` files (bucket root and prefix folder) as of `at` and spec.ignore applied; keys under
 * the control folder set aside; keys of `options.versions` take the version named. Throws UnsafeKeyError or
 * KeyConflictError as a live scan of that state would, VersionNotFoundError for a pinned version the table does
 * not have, and whatever `read` throws for a `.sourceignore`.
 */
export async function stateAt(
  table: VersionTable,
  at: Date,
  read: ReadVersion,
  options: StateOptions = {},
): Promise<HistoryState> {
  const prefixDir = table.prefix === "" || table.prefix.endsWith("/") ? table.prefix : `${table.prefix}/`;
  const listing = new ObjectIndexBuilder();
  listing.inOrder = true; // the table's keys are in UTF-8 byte order
  const versionIds = new Map<string, string>();
  const control: ObjectInfo[] = [];
  let rootIgnore: ObjectVersion | undefined;
  let prefixIgnore: ObjectVersion | undefined;
  let resolved = -Infinity;
  const seen = (v: ObjectVersion | undefined): void => {
    if (v) resolved = Math.max(resolved, v.lastModified.getTime());
  };
  const pins = new Map(Object.entries(options.versions ?? {}));
  for (const { key, versions } of table.keys) {
    const pinned = pins.get(key);
    pins.delete(key);
    const v = pinned === undefined ? versionAt(versions, at) : pinnedVersion(versions, key, pinned);
    seen(v);
    if (!v || v.deleteMarker || key.endsWith("/")) continue;
    if (options.controlFolder !== undefined && key.startsWith(options.controlFolder)) {
      control.push(toInfo(v));
      versionIds.set(key, v.versionId);
      continue;
    }
    listing.add(key, v.etag, v.size, v.md5);
    versionIds.set(key, v.versionId);
    if (table.prefix === "" && key === SOURCE_IGNORE) rootIgnore = v;
    if (prefixDir !== "" && key === `${prefixDir}${SOURCE_IGNORE}`) prefixIgnore = v;
  }
  if (table.prefix !== "") {
    const v = versionAt(table.rootIgnore, at);
    seen(v);
    rootIgnore = v && !v.deleteMarker ? v : undefined;
  }
  for (const [key, versionId] of pins) throw new VersionNotFoundError(key, versionId);
  const listed = new ObjectIndex(listing);

  const layers: IgnoreLayer[] = [];
  const ignoreFiles: { key: string; etag: string }[] = [];
  for (const [v, base] of [
    [rootIgnore, ""],
    [prefixIgnore, prefixDir],
  ] as const) {
    if (!v) continue;
    ignoreFiles.push({ key: v.key, etag: v.etag });
    versionIds.set(v.key, v.versionId);
    layers.push({ patterns: (await read(v)).toString("utf8"), base });
  }
  if (options.ignore) layers.push({ patterns: options.ignore, base: "" });
  const { index, isIgnored } = filterListing(listed, layers);
  return {
    at,
    resolvedAt: resolved === -Infinity ? undefined : new Date(resolved),
    revision: index.revision(),
    versionIds,
    index,
    listed: listed.size,
    ignored: listed.size - index.size,
    ignoreFiles,
    control,
    isIgnored,
    ignoreLayers: layers,
  };
}

function pinnedVersion(versions: readonly ObjectVersion[], key: string, versionId: string): ObjectVersion {
  const v = versions.find((x) => x.versionId === versionId);
  if (!v) throw new VersionNotFoundError(key, versionId);
  return v;
}

/** A version as a listing record (what the gate reads control objects by). */
export function toInfo(v: ObjectVersion): ObjectInfo {
  const info: ObjectInfo = { key: v.key, etag: v.etag, size: v.size, lastModified: v.lastModified };
  info.versionId = v.versionId;
  if (v.md5 !== undefined) info.md5 = v.md5;
  return info;
}
