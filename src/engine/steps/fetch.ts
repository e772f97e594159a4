// Step: download the objects the content cache lacks (only changed etags), with bounded concurrency.
import { fetchIndex, type FetchStats } from "../../source/fetch.js";
import type { StepContext } from "./context.js";
import type { Scanned } from "./scan.js";

export interface Fetched extends Scanned {
  fetched: FetchStats;
}

/** Makes every published object present in the cache. Throws ProviderError (or a body check's error). */
export async function fetchStep(ctx: StepContext, state: Scanned): Promise<Fetched> {
  const { index, provider, cache, signal } = state;
  const { onProgress } = ctx.deps;
  const total = index.size;
  const fetched = await fetchIndex(index, provider, cache, {
    concurrency: ctx.deps.concurrency,
    signal,
    onObject: onProgress
      ? (e): void => {
          onProgress({ ...e, total });
        }
      : undefined,
  });
  Object.assign(ctx.stats, fetched);
  return { ...state, fetched };
}
