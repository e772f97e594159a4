// The versions of a prefix gathered per key: what the history module turns into states.
import type { BucketProvider, ObjectVersion } from "../providers/types.js";
import { SOURCE_IGNORE } from "./scan.js";

/** One key and its versions and delete markers, newest first (as the provider lists them). */
export interface KeyVersions {
  key: string;
  versions: readonly ObjectVersion[];
}

/** Every version under a prefix, per key in UTF-8 byte order (the index's order). */
export interface VersionTable {
  prefix: string;
  keys: readonly KeyVersions[];
  /**
   * The bucket root's `.sourceignore` versions when the prefix is not "" (a scan reads it even with a prefix, as
   * Flux does; with prefix "" it is one of `keys`).
   */
  rootIgnore: readonly ObjectVersion[];
  /** Entries in all (versions and delete markers). */
  count: number;
}

/**
 * Gathers a listing of versions into a table. `versions` gives each key's entries newest first (the provider
 * contract); keys may come in any order. `rootIgnore` are the versions of the root `.sourceignore` (prefix ≠ "").
 */
export async function collectVersions(
  prefix: string,
  versions: AsyncIterable<ObjectVersion> | Iterable<ObjectVersion>,
  rootIgnore: Iterable<ObjectVersion> = [],
): Promise<VersionTable> {
  const byKey = new Map<string, ObjectVersion[]>();
  let count = 0;
  for await (const version of versions) {
    let list = byKey.get(version.key);
    if (!list) byKey.set(version.key, (list = []));
    list.push(version);
    count++;
  }
  const keys = [...byKey.keys()]
    .map((key) => ({ key, bytes: Buffer.from(key) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map(({ key }) => ({ key, versions: byKey.get(key) ?? [] }));
  const root = prefix === "" ? [] : [...rootIgnore].filter((v) => v.key === SOURCE_IGNORE);
  return { prefix, keys, rootIgnore: root, count: count + root.length };
}

/**
 * Lists every version under `prefix` (and of the root `.sourceignore` when the prefix is not ""). Throws
 * ProviderError "NotVersioned" for a bucket that keeps no versions, or as the listing fails.
 */
export async function loadVersions(
  provider: BucketProvider,
  prefix: string,
  signal?: AbortSignal,
): Promise<VersionTable> {
  const root: ObjectVersion[] = [];
  if (prefix !== "")
    for await (const v of provider.listVersions(SOURCE_IGNORE, signal))
      if (v.key === SOURCE_IGNORE) root.push(v);
  return collectVersions(prefix, provider.listVersions(prefix, signal), root);
}

/** The entry of `versions` (newest first) that was current at `at`: the first not after it; undefined if none. */
export function versionAt(versions: readonly ObjectVersion[], at: Date): ObjectVersion | undefined {
  const t = at.getTime();
  for (const v of versions) if (v.lastModified.getTime() <= t) return v;
  return undefined;
}
