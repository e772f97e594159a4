// A provider whose reads are those of one past state: each GET of a key asks for the state's version of it.
import type { Readable } from "node:stream";
import type { BucketProvider, GetOptions, RequestCounts } from "../providers/types.js";

/**
 * Wraps `provider` so that `get(key, options)` GETs the version `versionIds` holds for the key (keeping the etag
 * condition and the signal); keys without one are read as `provider` reads them. Listing, stat and versions pass
 * through unchanged (they describe the bucket now); `requests` are the wrapped provider's; `close` closes it.
 */
export function pinnedProvider(
  provider: BucketProvider,
  versionIds: ReadonlyMap<string, string>,
): BucketProvider {
  return {
    list: (prefix, signal) => provider.list(prefix, signal),
    get: (key: string, options: GetOptions = {}): Promise<Readable> => {
      const versionId = versionIds.get(key);
      return provider.get(key, versionId === undefined ? options : { ...options, versionId });
    },
    stat: (key, signal) => provider.stat(key, signal),
    versioning: (signal) => provider.versioning(signal),
    listVersions: (prefix, signal) => provider.listVersions(prefix, signal),
    get requests(): RequestCounts {
      return provider.requests;
    },
    close: () => {
      provider.close();
    },
  };
}
