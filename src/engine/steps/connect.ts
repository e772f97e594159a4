// Step: open the content cache, resolve credentials and build the provider.
import path from "node:path";
import type { BucketSpec } from "../../api/normalize.js";
import { resolveConnection } from "../../credentials/resolve.js";
import { createProvider, type ProviderTuning } from "../../providers/index.js";
import type { BucketProvider } from "../../providers/types.js";
import { ContentCache } from "../../source/content-cache.js";
import type { StepContext } from "./context.js";

export const DEFAULT_TUNING: ProviderTuning = { requestTimeoutMs: 30_000, maxSockets: 64 };

export interface Connected {
  spec: BucketSpec;
  provider: BucketProvider;
  cache: ContentCache;
  /** spec.timeout for the whole reconcile. */
  signal: AbortSignal;
}

/**
 * Connects to the bucket. Throws CredentialsError for a missing or malformed Secret, ProviderError when the provider cannot be built.
 */
export async function connectStep(ctx: StepContext, spec: BucketSpec): Promise<Connected> {
  const { input, deps, trail } = ctx;
  const cache = new ContentCache(path.join(deps.cacheRoot, input.ref.namespace, input.ref.name));
  trail.cache = cache;
  const signal = AbortSignal.timeout(spec.timeoutMs);
  const connection = await resolveConnection(spec, input.ref.namespace, deps.readSecret);
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const provider = await (deps.providerFactory ?? createProvider)(connection, tuning);
  trail.provider = provider;
  return { spec, provider, cache, signal };
}
