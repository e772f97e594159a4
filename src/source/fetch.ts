// Incremental fetch: download only the objects whose (key, etag) is not cached, in parallel, streamed to disk.
import { setMaxListeners } from "node:events";
import { ProviderError, type BucketProvider } from "../providers/types.js";
import type { ContentCache } from "./content-cache.js";
import { BodyCheck } from "./body-check.js";
import type { IndexEntry, ObjectIndex } from "./object-index.js";

export interface FetchOptions {
  concurrency: number;
  /** Attempts per object for transient failures (network, object changed mid-fetch, a body failing its check). */
  attempts?: number;
  signal?: AbortSignal;
  onObject?: (event: { key: string; bytes: number; cached: boolean }) => void;
  /** Waits before retry n (1-based); injectable so tests need not sleep. */
  backoff?: (attempt: number) => Promise<void>;
}

export interface FetchStats {
  downloaded: number;
  cacheHits: number;
  bytesDownloaded: number;
}

/**
 * Makes every object in `index` present in `cache`. Fails on the first object that still fails after retries;
 * objects already fetched stay cached, so the next attempt resumes where this one stopped.
 */
export async function fetchIndex(
  index: ObjectIndex,
  provider: BucketProvider,
  cache: ContentCache,
  options: FetchOptions,
): Promise<FetchStats> {
  const stats: FetchStats = { downloaded: 0, cacheHits: 0, bytesDownloaded: 0 };

  // Cached objects cost a lookup each; only the missing ones are downloaded, remembered by their position in the
  // index (4 bytes each, not an object per key: a cold million-key sync misses them all).
  let missing = new Uint32Array(1024);
  let count = 0;
  for (let i = 0; i < index.size; i++) {
    const key = index.keyAt(i);
    if (await cache.has(key, index.etagAt(i))) {
      stats.cacheHits++;
      options.onObject?.({ key, bytes: 0, cached: true });
      continue;
    }
    if (count === missing.length) {
      const grown = new Uint32Array(missing.length * 2);
      grown.set(missing);
      missing = grown;
    }
    missing[count++] = i;
  }
  if (count === 0) return stats;
  try {
    await download(index, missing.subarray(0, count), provider, cache, options, stats);
  } finally {
    await cache.flush(); // what was fetched stays cached, also when a later object failed
  }
  return stats;
}

async function download(
  index: ObjectIndex,
  missing: Uint32Array,
  provider: BucketProvider,
  cache: ContentCache,
  options: FetchOptions,
  stats: FetchStats,
): Promise<void> {
  const concurrency = Math.max(1, options.concurrency);
  const attempts = options.attempts ?? 3;
  const backoff = options.backoff ?? ((n: number) => sleep(Math.min(200 * 2 ** n, 5000)));

  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  // Every in-flight GET listens on `signal`; without this Node warns of a listener leak above 10 parallel downloads.
  setMaxListeners(concurrency * 2 + 10, signal);

  const fetchOne = async (entry: IndexEntry): Promise<void> => {
    const { key, etag, size } = entry;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      let check: BodyCheck | undefined;
      try {
        const body = await provider.get(key, { etag, signal });
        // Checked against the listing while it is written; a body that fails the check is never recorded.
        check = new BodyCheck(body, entry);
        const bytes = await cache.put(key, etag, body, size, check);
        stats.downloaded++;
        stats.bytesDownloaded += bytes;
        options.onObject?.({ key, bytes, cached: false });
        return;
      } catch (caught) {
        // Aborted (spec.timeout, or another object failed): the reason says why, not the body's "aborted".
        if (signal.aborted) throw signal.reason ?? caught;
        const error = check ? check.explain(caught) : caught;
        const transient = !(error instanceof ProviderError) || error.kind === "Transient";
        if (!transient || attempt >= attempts) throw error;
        await backoff(attempt);
      }
    }
  };

  // A fixed pool of workers taking the next missing object: memory stays bounded by the pool, not the index.
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    try {
      while (next < missing.length && !controller.signal.aborted) {
        await fetchOne(index.at(missing[next++] as number));
      }
    } catch (error) {
      failure ??= { error };
      controller.abort(); // stop the other downloads; what they wrote half is never recorded by the cache
    }
  };
  // Every worker has stopped writing before this returns, so the cache can be flushed safely.
  await Promise.all(Array.from({ length: Math.min(concurrency, missing.length) }, worker));
  if (failure) throw failure.error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
