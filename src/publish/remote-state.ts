// The remote side of `push`: what is under the prefix's folder now, and the index the last push wrote.
import type { BucketProvider, ObjectInfo } from "../providers/types.js";
import {
  IndexFormatError,
  INDEX_OBJECT_NAME,
  MAX_INDEX_BYTES,
  parseIndex,
  prefixFolder,
  type IndexObject,
} from "./index-object.js";
import { RESERVED_FOLDER } from "./folder-walk.js";

export interface RemoteState {
  /** Content objects by key relative to the prefix's folder (folder markers and `.bucketops/` left out). */
  objects: Map<string, ObjectInfo>;
  /** The index object's listing record, when one is listed. */
  indexInfo?: ObjectInfo;
  /** The parsed index, when it is listed and valid. */
  index?: IndexObject;
  /** Why a listed index was not used (not JSON, invalid): it is then rewritten like a missing one. */
  indexProblem?: string;
}

/**
 * Lists `prefix` and reads the index object when it is listed. Keys outside the prefix's folder (prefix "app" also
 * lists "apple/…") are not the push's. Throws ProviderError for listing or read failures other than a bad index.
 */
export async function readRemoteState(
  provider: BucketProvider,
  prefix: string,
  signal?: AbortSignal,
): Promise<RemoteState> {
  const folder = prefixFolder(prefix);
  const objects = new Map<string, ObjectInfo>();
  let indexInfo: ObjectInfo | undefined;
  for await (const info of provider.list(prefix, signal)) {
    if (!info.key.startsWith(folder) || info.key.endsWith("/")) continue;
    const key = info.key.slice(folder.length);
    if (key === INDEX_OBJECT_NAME) indexInfo = info;
    else if (!key.startsWith(RESERVED_FOLDER)) objects.set(key, info);
  }
  if (!indexInfo) return { objects };
  try {
    if (indexInfo.size > MAX_INDEX_BYTES)
      throw new IndexFormatError(
        `index object is ${indexInfo.size} bytes, above the ${MAX_INDEX_BYTES} limit`,
      );
    const bytes = await readIndexBytes(provider, indexInfo.key, {
      etag: indexInfo.etag,
      ...(signal ? { signal } : {}),
    });
    const index = parseIndex(bytes);
    return { objects, indexInfo, index };
  } catch (error) {
    if (!(error instanceof IndexFormatError)) throw error;
    return { objects, indexInfo, indexProblem: error.message };
  }
}

/**
 * The body of `key` (with `etag`, only that version), at most MAX_INDEX_BYTES: an index object's read. Throws
 * IndexFormatError above the limit, ProviderError when the read fails.
 */
export async function readIndexBytes(
  provider: BucketProvider,
  key: string,
  options: { etag?: string; signal?: AbortSignal } = {},
): Promise<Buffer> {
  const body = await provider.get(key, options);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > MAX_INDEX_BYTES) {
      body.destroy();
      throw new IndexFormatError(`index object is above the ${MAX_INDEX_BYTES} limit`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
