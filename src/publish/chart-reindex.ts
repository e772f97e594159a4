// `chart reindex`: index.yaml rebuilt from the chart archives under the prefix (each one's Chart.yaml and the
// sha256 of its bytes), written conditionally on the index it replaces, so a push meanwhile is not lost.
import { readChartArchive } from "../helm/chart-archive.js";
import { ChartError } from "../helm/chart-errors.js";
import {
  chartVersionEntry,
  emptyRepoIndex,
  findChartVersion,
  serializeRepoIndex,
  type ChartVersionEntry,
  type RepoIndex,
} from "../helm/repo-index.js";
import {
  ProviderError,
  type BucketProvider,
  type BucketWriter,
  type ObjectInfo,
} from "../providers/types.js";
import { assertSafeKey, UnsafeKeyError } from "../source/safe-key.js";
import { chartUrl, hashStream, parseStoredIndex, repoIndexKey, type ChartUrlStyle } from "./chart-repo.js";
import { updateObject, type UpdateOptions, type UpdateResult } from "./conditional-update.js";
import { prefixFolder } from "./index-object.js";

export interface ChartReindexOptions {
  store: Pick<BucketProvider, "stat" | "get" | "list"> & BucketWriter;
  prefix: string;
  urls?: ChartUrlStyle;
  now?: () => Date;
  update?: Omit<UpdateOptions, "contentType">;
}

/** An object left out of the index, and why (the message names the key). */
export interface SkippedArchive {
  key: string;
  reason: string;
}

export interface ChartReindexResult {
  indexKey: string;
  /** Chart versions in the index written. */
  charts: number;
  skipped: SkippedArchive[];
  /** Why the index replaced could not be read (it did not parse); its `created` times were then not kept. */
  replacedUnreadable?: string;
  index: Omit<UpdateResult<unknown>, "value" | "info">;
}

interface Built {
  charts: number;
  skipped: SkippedArchive[];
  replacedUnreadable?: string;
}

/**
 * Lists every `.tgz` under the prefix's folder (any depth), reads each one's Chart.yaml and sha256 (each read
 * pinned to the listed etag), and writes index.yaml with one entry per chart version: the URL its path under the
 * folder in `urls` style, `created` kept from the index replaced when the digest is unchanged, else the object's
 * time. Archives that are not charts (or whose key is unsafe, or a second archive of one name and version) are
 * left out and returned in `skipped`; an index.yaml that does not parse is replaced. The write is conditional on
 * the index read (updateObject); a conflict lists again (archives already read are not read again).
 */
export async function reindexCharts(options: ChartReindexOptions): Promise<ChartReindexResult> {
  const { store, prefix } = options;
  const now = options.now ?? ((): Date => new Date());
  const indexKey = repoIndexKey(prefix);
  const seen = new Map<string, ChartVersionEntry | SkippedArchive>(); // `<key>\n<etag>` → what it gave
  const update = await updateObject<Built>(
    store,
    indexKey,
    async (current) => {
      let previous: RepoIndex | undefined;
      let replacedUnreadable: string | undefined;
      if (current) {
        try {
          previous = parseStoredIndex(current.bytes, indexKey);
        } catch (error) {
          replacedUnreadable = error instanceof Error ? error.message : String(error);
        }
      }
      let index = emptyRepoIndex(now().toISOString());
      const skipped: SkippedArchive[] = [];
      let charts = 0;
      for await (const object of store.list(prefixFolder(prefix))) {
        if (!object.key.endsWith(".tgz")) continue;
        const cacheKey = `${object.key}\n${object.etag}`;
        const read =
          seen.get(cacheKey) ??
          (await readArchive(store, prefix, object, options.urls ?? { relative: true }, now));
        if (read === undefined) continue; // deleted since the listing
        seen.set(cacheKey, read);
        if (!("name" in read)) {
          skipped.push(read);
          continue;
        }
        const taken = findChartVersion(index, read.name, read.version);
        if (taken) {
          skipped.push({
            key: object.key,
            reason: `${object.key}: a second archive of chart ${read.name} version ${read.version} (${taken.urls[0] ?? ""} is indexed)`,
          });
          continue;
        }
        const before = previous ? findChartVersion(previous, read.name, read.version) : undefined;
        const kept = before?.digest === read.digest ? before?.created : undefined;
        const created = kept ?? read.created;
        index = {
          ...index,
          entries: {
            ...index.entries,
            [read.name]: [...(index.entries[read.name] ?? []), { ...read, created }],
          },
        };
        charts++;
      }
      const value: Built = { charts, skipped, ...(replacedUnreadable ? { replacedUnreadable } : {}) };
      return { bytes: Buffer.from(serializeRepoIndex(index), "utf8"), value };
    },
    { ...options.update, contentType: "application/x-yaml" },
  );
  const { value, info: _info, ...index } = update;
  return { indexKey, ...value, index };
}

/** One archive's entry, a skip record for one that is not a chart, or undefined when it has been deleted. */
async function readArchive(
  store: Pick<BucketProvider, "get">,
  prefix: string,
  object: ObjectInfo,
  urls: ChartUrlStyle,
  now: () => Date,
): Promise<ChartVersionEntry | SkippedArchive | undefined> {
  const rel = object.key.slice(prefixFolder(prefix).length);
  try {
    assertSafeKey(rel);
    const metadata = await readChartArchive(await store.get(object.key, { etag: object.etag }), object.key);
    const { sha256 } = await hashStream(await store.get(object.key, { etag: object.etag }));
    const created = (object.lastModified ?? now()).toISOString();
    return chartVersionEntry(metadata, chartUrl(rel, urls), sha256, created);
  } catch (error) {
    if (error instanceof ProviderError && error.kind === "NotFound") return undefined;
    if (error instanceof ChartError || error instanceof UnsafeKeyError)
      return { key: object.key, reason: error.message };
    throw error;
  }
}
