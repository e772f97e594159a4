// `chart push`: the archive first, index.yaml last (so the index never names an archive that is not there), the
// index by a conditional read-modify-write, so concurrent pushes never lose each other's entries.
import { createReadStream } from "node:fs";
import {
  addChartVersion,
  chartVersionEntry,
  emptyRepoIndex,
  findChartVersion,
  serializeRepoIndex,
} from "../helm/repo-index.js";
import type { ChartVersionEntry } from "../helm/repo-index.js";
import { ProviderError, type BucketProvider, type BucketWriter } from "../providers/types.js";
import type { ChartArchive } from "./chart-source.js";
import {
  chartKey,
  chartUrl,
  hashStream,
  parseStoredIndex,
  repoIndexKey,
  type ChartUrlStyle,
} from "./chart-repo.js";
import {
  MAX_UPDATE_BYTES,
  updateObject,
  type UpdateOptions,
  type UpdateResult,
} from "./conditional-update.js";

/** The chart version is already published (with other bytes): refused without `force`. */
export class ChartExistsError extends Error {
  override readonly name = "ChartExistsError";
}

export interface ChartPushOptions {
  store: Pick<BucketProvider, "stat" | "get"> & BucketWriter;
  prefix: string;
  chart: ChartArchive;
  /** Replace an existing version (archive and entry). */
  force?: boolean;
  urls?: ChartUrlStyle;
  /** The entry's `created` and the index's `generated`. */
  now?: () => Date;
  update?: Omit<UpdateOptions, "contentType">;
}

export interface ChartPushResult {
  key: string;
  indexKey: string;
  entry: ChartVersionEntry;
  /** "uploaded", or "present" when the same bytes were already there (an earlier push cut short). */
  archive: "uploaded" | "present";
  /** The index update: attempts, conflicts retried, and whether it was written (false: the entry was there). */
  index: Omit<UpdateResult<unknown>, "value" | "info">;
}

/**
 * Publishes one chart archive under `prefix`: uploads `<name>-<version>.tgz`, then adds its entry (digest, created,
 * URL, Chart.yaml fields) to `index.yaml` with a conditional write retried on conflict (updateObject). Without
 * `force`, a version already in the index (checked before the upload and again on every index attempt), or an
 * archive of other bytes already under its key, is refused with ChartExistsError; the same bytes already under
 * the key but not in the index (a push cut short before its index write) are taken as uploaded. An index.yaml that does not parse fails with RepoIndexError naming its key,
 * before the archive is uploaded. With `force` the archive is overwritten and the entry replaced (two concurrent
 * forced pushes of one version: the last archive and the last entry may come from different pushes).
 */
export async function pushChart(options: ChartPushOptions): Promise<ChartPushResult> {
  const { store, prefix, chart } = options;
  const force = options.force === true;
  const now = options.now ?? ((): Date => new Date());
  const indexKey = repoIndexKey(prefix);
  const key = chartKey(prefix, chart.fileName);
  const { name, version } = chart.metadata;
  const refusal = (): ChartExistsError =>
    new ChartExistsError(
      `chart ${name} version ${version} is already in ${indexKey}; pass --force to replace it`,
    );

  // Fail early (nothing written) on an unusable index or a version already published; the conditional update
  // below checks again against the index it actually replaces.
  const before = await readIndex(store, indexKey);
  const listed = before && findChartVersion(before, name, version);
  if (listed && !force) throw refusal();

  const archive = await uploadArchive(store, key, chart, force);
  const entry = chartVersionEntry(
    chart.metadata,
    chartUrl(chart.fileName, options.urls ?? { relative: true }),
    chart.sha256,
    now().toISOString(),
  );
  const update = await updateObject(
    store,
    indexKey,
    (current) => {
      const index = current ? parseStoredIndex(current.bytes, indexKey) : emptyRepoIndex();
      const existing = findChartVersion(index, name, version);
      if (existing && !force) {
        // Our own entry: a write whose answer was lost, then retried, met its own condition.
        if (existing.digest === entry.digest && existing.created === entry.created)
          return { value: existing };
        throw refusal();
      }
      const next = { ...addChartVersion(index, entry, force), generated: now().toISOString() };
      return { bytes: Buffer.from(serializeRepoIndex(next), "utf8"), value: entry };
    },
    { ...options.update, contentType: "application/x-yaml" },
  );
  const { value, info: _info, ...index } = update;
  return { key, indexKey, entry: value, archive, index };
}

/** The index at `key`, or undefined when there is none. */
async function readIndex(
  store: Pick<BucketProvider, "stat" | "get">,
  key: string,
): Promise<ReturnType<typeof parseStoredIndex> | undefined> {
  const info = await store.stat(key);
  if (info === undefined) return undefined;
  if (info.size > MAX_UPDATE_BYTES)
    throw new ProviderError("Invalid", `${key} is ${info.size} bytes, above the ${MAX_UPDATE_BYTES} limit`);
  const chunks: Buffer[] = [];
  for await (const chunk of (await store.get(key)) as AsyncIterable<Buffer>) chunks.push(chunk);
  return parseStoredIndex(Buffer.concat(chunks), key);
}

/**
 * Uploads the archive: unconditionally with `force`, else only if the key is free. A key taken by the same bytes
 * (sha256 of the stored object) counts as uploaded; by other bytes it is refused.
 */
async function uploadArchive(
  store: Pick<BucketProvider, "get"> & BucketWriter,
  key: string,
  chart: ChartArchive,
  force: boolean,
): Promise<"uploaded" | "present"> {
  const body = (): ReturnType<typeof createReadStream> => createReadStream(chart.file);
  try {
    await store.put(key, body, chart.size, {
      contentType: "application/gzip",
      ...(force ? {} : { ifNoneExists: true }),
    });
    return "uploaded";
  } catch (error) {
    if (!(error instanceof ProviderError && error.kind === "Conflict")) throw error;
  }
  const stored = await hashStream(await store.get(key));
  if (stored.sha256 === chart.sha256) return "present";
  throw new ChartExistsError(
    `${key} already exists with other bytes (sha256 ${stored.sha256}, not in the index: an earlier push cut short?); pass --force to replace it`,
  );
}
