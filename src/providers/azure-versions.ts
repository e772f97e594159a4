// Azure blob versions: List Blobs with include=versions, turned into the entries of ObjectVersion. Versioning is
// an account setting (Microsoft.Storage blobServices isVersioningEnabled) the data plane does not report per
// container: a listing whose blobs carry version ids is the evidence.
import type { BlobItem, ContainerClient } from "@azure/storage-blob";
import { md5FromBase64, unquoteEtag, type ObjectVersion, type RequestCounts } from "./types.js";

/**
 * The versionId of a blob written before versioning was enabled (it has none until it is next modified; S3
 * names such versions "null" too): `get(key, {versionId: "null"})` reads the current blob.
 */
export const AZURE_UNVERSIONED_ID = "null";

/** The versionId of a synthesized delete marker: `<newest version>-deleted`. */
export const AZURE_DELETED_SUFFIX = "-deleted";

export interface AzureVersionsOptions {
  prefix: string;
  signal?: AbortSignal | undefined;
  /** Counted once a page. */
  requests: RequestCounts;
  pageSize: number;
  /** When the listing started: the time given to deletions, which Azure does not record. */
  now: () => Date;
  /** The object key of a listed blob name (the provider's decoding of names, as for list). */
  keyOf: (name: string) => string;
  /** Called after the first page with whether any blob of it carries a version id; may throw to stop. */
  onFirstPage?: (versioned: boolean, empty: boolean) => void;
}

/**
 * Every blob version under `prefix`, page by page, keys ascending and newest first (see azureKeyVersions). A
 * key's versions are gathered before they are yielded (they may straddle a page). SDK errors pass through.
 */
export async function* listAzureVersions(
  container: ContainerClient,
  options: AzureVersionsOptions,
): AsyncGenerator<ObjectVersion> {
  const { prefix, signal, requests, pageSize, now, onFirstPage, keyOf } = options;
  const listedAt = now();
  const pages = container
    .listBlobsFlat({ prefix: prefix === "" ? undefined : prefix, includeVersions: true, abortSignal: signal })
    .byPage({ maxPageSize: pageSize });
  let key: string | undefined;
  let blobs: BlobItem[] = [];
  let first = true;
  for (;;) {
    requests.list++;
    const page = await pages.next();
    if (page.done === true) break;
    const items = page.value.segment.blobItems;
    if (first) {
      first = false;
      onFirstPage?.(
        items.some((b) => b.versionId !== undefined),
        items.length === 0,
      );
    }
    for (const blob of items) {
      if (blob.deleted) continue; // a soft-deleted version cannot be read
      if (blob.name !== key) {
        if (key !== undefined) yield* azureKeyVersions(blobs, listedAt, keyOf);
        key = blob.name;
        blobs = [];
      }
      blobs.push(blob);
    }
    if (!page.value.continuationToken) break;
  }
  if (key !== undefined) yield* azureKeyVersions(blobs, listedAt, keyOf);
}

/**
 * One blob's entries, newest first. A version became live at its versionId (the time Azure created it, an
 * RFC 3339 timestamp with 7 fraction digits, truncated to milliseconds). A blob without a versionId (written
 * before versioning was on) is the current one, under AZURE_UNVERSIONED_ID at its Last-Modified. When no version
 * is the current one (IsCurrentVersion), the blob was deleted; Azure keeps no time for that (without soft delete
 * nothing records it), so the delete marker is placed at `listedAt`, the latest time it can have happened: a
 * state computed for a time before the listing shows the blob's newest version. Deletions followed by a
 * re-creation leave no trace in the versions and are not represented.
 */
export function azureKeyVersions(
  blobs: readonly BlobItem[],
  listedAt: Date,
  keyOf: (name: string) => string = (name) => name,
): ObjectVersion[] {
  const sorted = [...blobs].sort((a, b) => compareVersionIds(b.versionId, a.versionId));
  const out: ObjectVersion[] = sorted.map((blob) => toVersion(blob, keyOf(blob.name)));
  const newest = sorted[0];
  const current = sorted.some((b) => b.versionId === undefined || b.isCurrentVersion === true);
  if (newest !== undefined && !current)
    out.unshift({
      key: keyOf(newest.name),
      versionId: `${newest.versionId ?? AZURE_UNVERSIONED_ID}${AZURE_DELETED_SUFFIX}`,
      lastModified: listedAt,
      deleteMarker: true,
      etag: "",
      size: 0,
    });
  return out;
}

function toVersion(blob: BlobItem, key: string): ObjectVersion {
  const created = blob.versionId === undefined ? undefined : new Date(blob.versionId);
  const lastModified =
    created !== undefined && !Number.isNaN(created.getTime()) ? created : blob.properties.lastModified;
  const version: ObjectVersion = {
    key,
    versionId: blob.versionId ?? AZURE_UNVERSIONED_ID,
    lastModified,
    deleteMarker: false,
    etag: unquoteEtag(blob.properties.etag),
    size: blob.properties.contentLength ?? 0,
  };
  const md5 = md5FromBase64(blob.properties.contentMD5);
  if (md5 !== undefined) version.md5 = md5;
  return version;
}

/** The unversioned blob sorts as the newest; versionIds are fixed-width timestamps and sort as strings. */
function compareVersionIds(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}
