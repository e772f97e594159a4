// `chart delete`: the entry leaves index.yaml first (conditional write, retried), the archive after, so the index
// never names an archive that is gone.
import { removeChartVersion, serializeRepoIndex, type ChartVersionEntry } from "../helm/repo-index.js";
import type { BucketProvider, BucketWriter } from "../providers/types.js";
import { chartKey, entryArchiveKey, parseStoredIndex, repoIndexKey } from "./chart-repo.js";
import { updateObject, type UpdateOptions, type UpdateResult } from "./conditional-update.js";

/** Neither the index nor the bucket has the chart version. */
export class ChartNotFoundError extends Error {
  override readonly name = "ChartNotFoundError";
}

export interface ChartDeleteOptions {
  store: Pick<BucketProvider, "stat" | "get"> & BucketWriter;
  prefix: string;
  name: string;
  version: string;
  now?: () => Date;
  update?: Omit<UpdateOptions, "contentType">;
}

export interface ChartDeleteResult {
  indexKey: string;
  /** The entry removed from the index; undefined when the index did not list the version. */
  removed?: ChartVersionEntry;
  /** The archive deleted after the index was written (the entry's, else `<name>-<version>.tgz`). */
  deletedKey?: string;
  index: Omit<UpdateResult<unknown>, "value" | "info">;
}

/**
 * Removes chart `name` at `version`: its entry from index.yaml (updateObject: conditional, retried on conflict),
 * then its archive (the key the entry's URL names under the prefix, else `<name>-<version>.tgz`). A version the
 * index does not list but whose `<name>-<version>.tgz` exists (a push cut short) has that archive deleted. Fails
 * with ChartNotFoundError when neither exists, RepoIndexError when index.yaml does not parse (nothing deleted).
 */
export async function deleteChart(options: ChartDeleteOptions): Promise<ChartDeleteResult> {
  const { store, prefix, name, version } = options;
  const now = options.now ?? ((): Date => new Date());
  const indexKey = repoIndexKey(prefix);
  const update = await updateObject(
    store,
    indexKey,
    (current) => {
      if (current === undefined) return { value: undefined };
      const { index, removed } = removeChartVersion(parseStoredIndex(current.bytes, indexKey), name, version);
      if (removed === undefined) return { value: undefined };
      const next = { ...index, generated: now().toISOString() };
      return { bytes: Buffer.from(serializeRepoIndex(next), "utf8"), value: removed };
    },
    { ...options.update, contentType: "application/x-yaml" },
  );
  const { value: removed, info: _info, ...index } = update;
  const fallback = chartKey(prefix, `${name}-${version}.tgz`);
  const key = (removed && entryArchiveKey(prefix, removed)) ?? fallback;
  if (removed === undefined && (await store.stat(key)) === undefined)
    throw new ChartNotFoundError(`chart ${name} version ${version} is neither in ${indexKey} nor at ${key}`);
  await store.delete(key);
  return { indexKey, ...(removed ? { removed } : {}), deletedKey: key, index };
}
