// GCS object versioning: generations listed with `versions=true`, turned into the entries of ObjectVersion, with
// deletions (which GCS records only as a generation's timeDeleted) synthesized as delete markers.
import type { Bucket, File, GetFilesOptions } from "@google-cloud/storage";
import { ProviderError, type ObjectInfo, type ObjectVersion, type RequestCounts } from "./types.js";

/** The suffix of a synthesized delete marker's versionId: `<generation that was deleted>-deleted`. */
export const GCS_DELETED_SUFFIX = "-deleted";

export interface GcsVersionsOptions {
  prefix: string;
  signal?: AbortSignal | undefined;
  /** Counted once a page. */
  requests: RequestCounts;
  pageSize: number;
  /** The provider's listing record of a file (etag, size, md5, generation as versionId), as list gives it. */
  toInfo: (file: File) => ObjectInfo;
  abortable: <T>(promise: Promise<T>, signal: AbortSignal | undefined) => Promise<T>;
}

/**
 * Every generation under `prefix` (`versions=true`), page by page, as ObjectVersion entries, keys ascending and
 * newest first (see gcsKeyVersions). A key's generations are gathered before they are yielded, since a key may
 * straddle a page; a generation listed twice (fake-gcs-server restarts a page at the key its token names) is
 * kept once, and a page token that comes back unchanged (no progress) is an Invalid error rather than a loop.
 * Library errors pass through.
 */
export async function* listGcsVersions(
  bucket: Bucket,
  options: GcsVersionsOptions,
): AsyncGenerator<ObjectVersion> {
  const { prefix, signal, requests, pageSize, toInfo, abortable } = options;
  let pageToken: string | undefined;
  let key: string | undefined;
  let generations = new Map<string, { info: ObjectInfo; file: File }>();
  do {
    signal?.throwIfAborted();
    requests.list++;
    const query: GetFilesOptions = { autoPaginate: false, maxResults: pageSize, versions: true };
    if (prefix !== "") query.prefix = prefix;
    if (pageToken !== undefined) query.pageToken = pageToken;
    const [files, next] = await abortable(bucket.getFiles(query), signal);
    for (const file of files) {
      const info = toInfo(file);
      if (info.key !== key) {
        if (key !== undefined) yield* gcsKeyVersions([...generations.values()]);
        key = info.key;
        generations = new Map();
      }
      generations.set(info.versionId ?? "", { info, file });
    }
    const token = next && "pageToken" in next ? next.pageToken : undefined;
    if (token !== undefined && token === pageToken)
      throw new ProviderError("Invalid", `the version listing returned the same page token twice (${token})`);
    pageToken = token;
  } while (pageToken);
  if (key !== undefined) yield* gcsKeyVersions([...generations.values()]);
}

/**
 * One key's entries, newest generation first. Each generation is a version that became live at its timeCreated.
 * GCS keeps no delete markers: a generation that stopped being live (timeDeleted) without a newer generation
 * created by then was deleted, so a delete marker is synthesized at its timeDeleted, before it in the order:
 * the newest generation when it is not live (the key is deleted now), and an older one whose timeDeleted is
 * earlier than the next generation's timeCreated (deleted, later re-created). A generation replaced by an upload
 * has a timeDeleted at (or just after) its successor's timeCreated and gets none. The marker's versionId is the
 * deleted generation with GCS_DELETED_SUFFIX; its etag is "" and size 0.
 */
export function gcsKeyVersions(generations: { info: ObjectInfo; file: File }[]): ObjectVersion[] {
  const sorted = [...generations].sort((a, b) => compareGenerations(b.info.versionId, a.info.versionId));
  const out: ObjectVersion[] = [];
  let newerCreated: Date | undefined;
  for (const { info, file } of sorted) {
    const created = parseTime(file.metadata.timeCreated) ?? info.lastModified ?? new Date(0);
    // A timeDeleted before timeCreated is no deletion (an emulator's zero time): ignored.
    const time = parseTime(file.metadata.timeDeleted);
    const deleted = time !== undefined && time >= created ? time : undefined;
    const generation = info.versionId ?? "";
    if (deleted !== undefined && (newerCreated === undefined || deleted < newerCreated))
      out.push({
        key: info.key,
        versionId: `${generation}${GCS_DELETED_SUFFIX}`,
        lastModified: deleted,
        deleteMarker: true,
        etag: "",
        size: 0,
      });
    const version: ObjectVersion = {
      key: info.key,
      versionId: generation,
      lastModified: created,
      deleteMarker: false,
      etag: info.etag,
      size: info.size,
    };
    if (info.md5 !== undefined) version.md5 = info.md5;
    out.push(version);
    newerCreated = created;
  }
  return out;
}

/** Generations are decimal integers (microsecond timestamps): compared as numbers of any length. */
function compareGenerations(a: string | undefined, b: string | undefined): number {
  const x = a ?? "";
  const y = b ?? "";
  return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
}

function parseTime(value: unknown): Date | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/** The generation a `get(key, {versionId})` asks for; anything but a decimal generation is Invalid. */
export function gcsGeneration(versionId: string, what: string): string {
  if (!/^[1-9][0-9]*$/.test(versionId))
    throw new ProviderError(
      "Invalid",
      `${what}: version ${JSON.stringify(versionId)} is not a GCS generation`,
    );
  return versionId;
}
