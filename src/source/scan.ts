// List a prefix, apply .sourceignore and spec.ignore, check keys, and build the index.
import type { BucketProvider, ObjectInfo } from "../providers/types.js";
import { BodyCheck } from "./body-check.js";
import type { ContentCache } from "./content-cache.js";
import { buildIgnoreFilter, type IgnoreLayer } from "./ignore-rules.js";
import { ObjectIndex } from "./object-index.js";
import { assertNoKeyConflicts } from "./key-set.js";
import { assertSafeKey } from "./safe-key.js";

export const SOURCE_IGNORE = ".sourceignore";

export interface ScanOptions {
  prefix: string;
  /** spec.ignore: applied after the .sourceignore files. */
  ignore?: string;
  signal?: AbortSignal;
}

export interface ScanResult {
  index: ObjectIndex;
  listed: number;
  ignored: number;
  /** The .sourceignore files read; the cache keeps them even when they are not published. */
  ignoreFiles: { key: string; etag: string }[];
}

/**
 * Builds the index of what the Bucket publishes. `.sourceignore` is read from the bucket root (as Flux does, even
 * with a prefix) and from the prefix's folder; both are fetched through the cache, so an unchanged one costs no GET.
 * Throws UnsafeKeyError for a published key that could leave the artifact, KeyConflictError for keys that cannot all
 * be extracted (a file that is also a folder, NFC/NFD twins), ProviderError for listing failures.
 */
export async function scanBucket(
  provider: BucketProvider,
  cache: ContentCache,
  options: ScanOptions,
): Promise<ScanResult> {
  const { prefix, signal } = options;
  const objects: ObjectInfo[] = [];
  for await (const info of provider.list(prefix, signal)) {
    if (!info.key.endsWith("/")) objects.push(info); // "folder" marker objects carry no content
  }

  const layers: IgnoreLayer[] = [];
  const rootIgnore =
    prefix === ""
      ? objects.find((o) => o.key === SOURCE_IGNORE)
      : await findExact(provider, SOURCE_IGNORE, signal);
  const ignoreFiles: { key: string; etag: string }[] = [];
  if (rootIgnore) ignoreFiles.push(rootIgnore);
  if (rootIgnore)
    layers.push({ patterns: await readThroughCache(provider, cache, rootIgnore, signal), base: "" });
  const prefixDir = prefix === "" ? "" : prefix.endsWith("/") ? prefix : `${prefix}/`;
  if (prefixDir !== "") {
    const prefixIgnore = objects.find((o) => o.key === `${prefixDir}${SOURCE_IGNORE}`);
    if (prefixIgnore) {
      ignoreFiles.push(prefixIgnore);
      layers.push({
        patterns: await readThroughCache(provider, cache, prefixIgnore, signal),
        base: prefixDir,
      });
    }
  }
  if (options.ignore) layers.push({ patterns: options.ignore, base: "" });

  const isIgnored = buildIgnoreFilter(layers);
  const kept = objects.filter((o) => !isIgnored(o.key));
  for (const o of kept) assertSafeKey(o.key);
  const index = new ObjectIndex(kept.map((o) => ({ key: o.key, etag: o.etag, size: o.size, md5: o.md5 })));
  assertNoKeyConflicts(index);
  return { index, listed: objects.length, ignored: objects.length - kept.length, ignoreFiles };
}

async function findExact(
  provider: BucketProvider,
  key: string,
  signal: AbortSignal | undefined,
): Promise<ObjectInfo | undefined> {
  for await (const info of provider.list(key, signal)) if (info.key === key) return info;
  return undefined;
}

async function readThroughCache(
  provider: BucketProvider,
  cache: ContentCache,
  info: ObjectInfo,
  signal: AbortSignal | undefined,
): Promise<string> {
  const download = async (): Promise<void> => {
    try {
      const body = await provider.get(info.key, { etag: info.etag, signal });
      await cache.put(info.key, info.etag, body, info.size, new BodyCheck(body, info));
    } finally {
      await cache.flush();
    }
  };
  if (!(await cache.has(info.key, info.etag))) await download();
  try {
    return (await cache.read(info.key, info.etag)).toString("utf8");
  } catch {
    // A damaged entry (its file shorter than the index, or gone): drop it and download it once more.
    await cache.evict(info.key, info.etag);
    await download();
    return (await cache.read(info.key, info.etag)).toString("utf8");
  }
}
