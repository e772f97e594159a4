// List a prefix, apply .sourceignore and spec.ignore, check keys, and build the index.
import type { BucketProvider, ObjectInfo } from "../providers/types.js";
import { BodyCheck } from "./body-check.js";
import type { ContentCache } from "./content-cache.js";
import type { IgnoreLayer } from "./ignore-rules.js";
import { ObjectIndex, ObjectIndexBuilder } from "./object-index.js";
import { filterListing } from "./scan-filter.js";

export const SOURCE_IGNORE = ".sourceignore";

export interface ScanOptions {
  prefix: string;
  /** spec.ignore: applied after the .sourceignore files. */
  ignore?: string;
  signal?: AbortSignal;
  /**
   * A folder (with a trailing "/") whose keys are never published, e.g. the prefix's `.bucketops/`: they are set
   * aside before the ignore rules and returned as `control`.
   */
  controlFolder?: string;
}

export interface ScanResult {
  index: ObjectIndex;
  listed: number;
  ignored: number;
  /** The .sourceignore files read; the cache keeps them even when they are not published. */
  ignoreFiles: { key: string; etag: string }[];
  /** The listed objects under `controlFolder` (never in `index`). */
  control: ObjectInfo[];
  /** Whether the ignore rules (.sourceignore files, spec.ignore) exclude a key. */
  isIgnored: (key: string) => boolean;
  /** The ignore rules applied, in order (the .sourceignore files' contents, then spec.ignore). */
  ignoreLayers: IgnoreLayer[];
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
  const prefixDir = prefix === "" ? "" : prefix.endsWith("/") ? prefix : `${prefix}/`;
  // The listing goes straight into a packed index (no object per listed key): a million keys stay ~60 MB.
  const listing = new ObjectIndexBuilder();
  let rootIgnore: ObjectInfo | undefined;
  let prefixIgnore: ObjectInfo | undefined;
  const control: ObjectInfo[] = [];
  const controlFolder = options.controlFolder;
  for await (const info of provider.list(prefix, signal)) {
    if (info.key.endsWith("/")) continue; // "folder" marker objects carry no content
    if (controlFolder !== undefined && info.key.startsWith(controlFolder)) {
      control.push(info);
      continue;
    }
    listing.add(info.key, info.etag, info.size, info.md5);
    if (prefix === "" && info.key === SOURCE_IGNORE) rootIgnore = info;
    if (prefixDir !== "" && info.key === `${prefixDir}${SOURCE_IGNORE}`) prefixIgnore = info;
  }
  const listed = new ObjectIndex(listing);

  const layers: IgnoreLayer[] = [];
  if (prefix !== "") rootIgnore = await findExact(provider, SOURCE_IGNORE, signal);
  const ignoreFiles: { key: string; etag: string }[] = [];
  if (rootIgnore) ignoreFiles.push(rootIgnore);
  if (rootIgnore) layers.push({ patterns: await readText(provider, cache, rootIgnore, signal), base: "" });
  if (prefixIgnore) {
    ignoreFiles.push(prefixIgnore);
    layers.push({ patterns: await readText(provider, cache, prefixIgnore, signal), base: prefixDir });
  }
  if (options.ignore) layers.push({ patterns: options.ignore, base: "" });

  const { index, isIgnored } = filterListing(listed, layers);
  return {
    index,
    listed: listed.size,
    ignored: listed.size - index.size,
    ignoreFiles,
    control,
    isIgnored,
    ignoreLayers: layers,
  };
}

async function findExact(
  provider: BucketProvider,
  key: string,
  signal: AbortSignal | undefined,
): Promise<ObjectInfo | undefined> {
  for await (const info of provider.list(key, signal)) if (info.key === key) return info;
  return undefined;
}

async function readText(
  provider: BucketProvider,
  cache: ContentCache,
  info: ObjectInfo,
  signal: AbortSignal | undefined,
): Promise<string> {
  return (await readThroughCache(provider, cache, info, signal)).toString("utf8");
}

/**
 * A small object's whole content, through the cache (an unchanged one costs no GET); a damaged cache entry is
 * downloaded once more. Throws ProviderError, or the body check's error for a body that does not match `info`.
 */
export async function readThroughCache(
  provider: BucketProvider,
  cache: ContentCache,
  info: ObjectInfo,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
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
    return await cache.read(info.key, info.etag);
  } catch {
    // A damaged entry (its file shorter than the index, or gone): drop it and download it once more.
    await cache.evict(info.key, info.etag);
    await download();
    return await cache.read(info.key, info.etag);
  }
}
