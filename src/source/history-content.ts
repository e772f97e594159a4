// Past versions' content, read through the content cache: keyed by key + etag like live objects, so a version
// downloaded for a diff or a pinned state is the same cache entry the live state uses, and the reverse.
import type { BucketProvider } from "../providers/types.js";
import { BodyCheck } from "./body-check.js";
import type { ContentCache } from "./content-cache.js";
import type { ReadVersion, VersionRef } from "./history-state.js";

/**
 * A ReadVersion that takes a version from `cache` (key + etag) or, when missing, GETs it by versionId (with the
 * etag as condition) into the cache first; a damaged entry is downloaded once more. Throws ProviderError, or the
 * body check's error for a body that does not match the version's size or MD5.
 */
export function cachedVersionReader(
  provider: BucketProvider,
  cache: ContentCache,
  signal?: AbortSignal,
): ReadVersion {
  const download = async (v: VersionRef): Promise<void> => {
    try {
      const body = await provider.get(v.key, { etag: v.etag, versionId: v.versionId, signal });
      await cache.put(v.key, v.etag, body, v.size, new BodyCheck(body, v));
    } finally {
      await cache.flush();
    }
  };
  return async (v: VersionRef): Promise<Buffer> => {
    if (!(await cache.has(v.key, v.etag))) await download(v);
    try {
      return await cache.read(v.key, v.etag);
    } catch {
      await cache.evict(v.key, v.etag);
      await download(v);
      return await cache.read(v.key, v.etag);
    }
  };
}
