// The part of a scan after the listing: the ignore rules, the key checks and the conflict check. One function, so
// a live listing (scan.ts) and a past state (history-state.ts) publish exactly the same index from the same keys.
import { buildIgnoreFilter, type IgnoreLayer } from "./ignore-rules.js";
import { assertNoKeyConflicts } from "./key-set.js";
import { ObjectIndex, ObjectIndexBuilder } from "./object-index.js";
import { assertSafeKey } from "./safe-key.js";

export interface FilteredListing {
  /** What the Bucket publishes: the listing without the ignored keys. */
  index: ObjectIndex;
  /** Whether the ignore rules exclude a key. */
  isIgnored: (key: string) => boolean;
}

/**
 * Applies the ignore `layers` (in order) to `listed` and checks what is left. Throws UnsafeKeyError for a kept
 * key that could leave the artifact, KeyConflictError for kept keys that cannot all be extracted.
 */
export function filterListing(listed: ObjectIndex, layers: readonly IgnoreLayer[]): FilteredListing {
  // Ignored positions are marked first; the index is copied without them only when there are any.
  const filter = buildIgnoreFilter(layers);
  const isIgnored = (key: string): boolean => layers.length > 0 && filter(key);
  const ignored = new Uint8Array(listed.size);
  let ignoredCount = 0;
  for (let i = 0; i < listed.size; i++) {
    const key = listed.keyAt(i);
    if (isIgnored(key)) {
      ignored[i] = 1;
      ignoredCount++;
    } else assertSafeKey(key);
  }
  let index = listed;
  if (ignoredCount > 0) {
    const kept = new ObjectIndexBuilder();
    for (let i = 0; i < listed.size; i++) if (!ignored[i]) kept.addFrom(listed, i);
    index = new ObjectIndex(kept);
  }
  // Iterated without building the index's entry array (an object per key).
  assertNoKeyConflicts({ entries: index, get: (key) => index.get(key) });
  return { index, isIgnored };
}
