// S3 version listings (ListObjectVersions, EncodingType=url) and the bucket's versioning state.
import {
  GetBucketVersioningCommand,
  ListObjectVersionsCommand,
  type DeleteMarkerEntry,
  type ObjectVersion as S3ObjectVersion,
  type S3Client,
  type ListObjectVersionsCommandInput,
  type ListObjectVersionsCommandOutput,
} from "@aws-sdk/client-s3";
import type { DeserializeMiddleware } from "@smithy/types";
import { listingDecoder } from "./s3-encoding.js";
import {
  md5FromEtag,
  ProviderError,
  unquoteEtag,
  type ObjectVersion,
  type RequestCounts,
  type VersioningState,
} from "./types.js";

export interface ListVersionsOptions {
  bucket: string;
  prefix: string;
  signal?: AbortSignal | undefined;
  /** Counted once a page. */
  requests: RequestCounts;
  /** Page size; the server's default (1,000) when omitted. */
  maxKeys?: number;
}

/**
 * The bucket's versioning state by GetBucketVersioning (counted in requests.list): "Enabled", "Suspended", or no
 * Status at all for a bucket that never had versioning ("disabled"). SDK errors pass through.
 */
export async function s3Versioning(
  client: S3Client,
  bucket: string,
  requests: RequestCounts,
  signal?: AbortSignal,
): Promise<VersioningState> {
  requests.list++;
  const out = await client.send(new GetBucketVersioningCommand({ Bucket: bucket }), { abortSignal: signal });
  return out.Status === "Enabled" ? "enabled" : out.Status === "Suspended" ? "suspended" : "disabled";
}

/**
 * Every version and delete marker under `prefix` with ListObjectVersions, page by page (KeyMarker and
 * VersionIdMarker; the returned NextKeyMarker is url-encoded like the keys and decoded before it is sent back).
 * Entries come in the server's order: keys ascending, newest first within a key, versions and delete markers
 * interleaved as the response has them (the SDK splits them into two lists; their order is read back from the
 * XML, see entryOrder). SDK errors pass through; a key that is not valid url encoding is Invalid.
 */
export async function* listObjectVersions(
  client: S3Client,
  options: ListVersionsOptions,
): AsyncGenerator<ObjectVersion> {
  const { bucket: Bucket, prefix: Prefix, signal, requests, maxKeys: MaxKeys } = options;
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    requests.list++;
    const command = new ListObjectVersionsCommand({
      Bucket,
      Prefix,
      KeyMarker,
      VersionIdMarker,
      MaxKeys,
      EncodingType: "url",
    });
    let order: EntryTag[] | undefined;
    const capture: DeserializeMiddleware<ListObjectVersionsCommandInput, ListObjectVersionsCommandOutput> =
      (next) => async (args) => {
        const result = await next(args);
        order = await captureOrder(result.response);
        return result;
      };
    // After the deserializer is nearer the wire: this sees the raw response before it is parsed.
    command.middlewareStack.addRelativeTo(capture, {
      relation: "after",
      toMiddleware: "deserializerMiddleware",
      name: "bucketopsVersionOrder",
    });
    const page = await client.send(command, { abortSignal: signal });
    const decode = listingDecoder(page.EncodingType);
    for (const entry of inDocumentOrder(page.Versions ?? [], page.DeleteMarkers ?? [], order)) {
      const version = toVersion(entry, decode);
      if (version !== undefined) yield version;
    }
    if (page.IsTruncated !== true) KeyMarker = undefined;
    else if (page.NextKeyMarker === undefined || page.NextKeyMarker === "")
      // Never a silently shortened history.
      throw new ProviderError("Invalid", "ListObjectVersions: a truncated page without NextKeyMarker");
    else {
      KeyMarker = decode(page.NextKeyMarker);
      VersionIdMarker = page.NextVersionIdMarker;
    }
  } while (KeyMarker !== undefined);
}

export type EntryTag = "Version" | "DeleteMarker";

/**
 * The sequence of <Version> and <DeleteMarker> elements of a ListVersionsResult document. Neither name occurs
 * nested inside an entry (its children are Key, VersionId, IsLatest, ETag…), and text content cannot hold a raw
 * "<", so the opening tags alone give the order.
 */
export function entryOrder(xml: string): EntryTag[] {
  const tags: EntryTag[] = [];
  for (const match of xml.matchAll(/<(Version|DeleteMarker)[\s/>]/g)) tags.push(match[1] as EntryTag);
  return tags;
}

/** One entry of a page as the SDK parsed it: a version or a delete marker. */
export type VersionEntry = { marker: false; v: S3ObjectVersion } | { marker: true; v: DeleteMarkerEntry };

/**
 * Interleaves the SDK's two lists as `order` says. Without a usable order (a response that could not be read
 * back, or counts that disagree) they are merged by key ascending and then newest first, a delete marker that is
 * the latest first: only entries of one key within the same timestamp can then come out of order.
 */
export function inDocumentOrder(
  versions: readonly S3ObjectVersion[],
  markers: readonly DeleteMarkerEntry[],
  order: readonly EntryTag[] | undefined,
): VersionEntry[] {
  const out: VersionEntry[] = [];
  const counted = order?.filter((tag) => tag === "Version").length;
  if (order !== undefined && counted === versions.length && order.length - counted === markers.length) {
    let vi = 0;
    let mi = 0;
    for (const tag of order)
      out.push(
        tag === "Version"
          ? { marker: false, v: versions[vi++] as S3ObjectVersion }
          : { marker: true, v: markers[mi++] as DeleteMarkerEntry },
      );
    return out;
  }
  let vi = 0;
  let mi = 0;
  while (vi < versions.length || mi < markers.length) {
    const v = versions[vi];
    const m = markers[mi];
    if (v === undefined || (m !== undefined && markerFirst(m, v))) {
      out.push({ marker: true, v: m as DeleteMarkerEntry });
      mi++;
    } else {
      out.push({ marker: false, v });
      vi++;
    }
  }
  return out;
}

function markerFirst(m: DeleteMarkerEntry, v: S3ObjectVersion): boolean {
  const mk = m.Key ?? "";
  const vk = v.Key ?? "";
  // Raw (still encoded) keys: S3 orders by the UTF-8 bytes; url encoding keeps that order for the unreserved
  // characters and is only a fallback here.
  if (mk !== vk) return mk < vk;
  if (v.IsLatest === true) return false;
  if (m.IsLatest === true) return true;
  return (m.LastModified?.getTime() ?? 0) >= (v.LastModified?.getTime() ?? 0);
}

function toVersion(entry: VersionEntry, decode: (value: string) => string): ObjectVersion | undefined {
  const { Key, VersionId, LastModified } = entry.v;
  if (Key === undefined || VersionId === undefined) return undefined;
  const lastModified = LastModified ?? new Date(0);
  if (entry.marker)
    return { key: decode(Key), versionId: VersionId, lastModified, deleteMarker: true, etag: "", size: 0 };
  const etag = unquoteEtag(entry.v.ETag ?? "");
  const version: ObjectVersion = {
    key: decode(Key),
    versionId: VersionId,
    lastModified,
    deleteMarker: false,
    etag,
    size: entry.v.Size ?? 0,
  };
  const md5 = md5FromEtag(etag);
  if (md5 !== undefined) version.md5 = md5;
  return version;
}

/** Reads a successful raw response body, gives it back to the deserializer as bytes, and returns its entry order. */
async function captureOrder(response: unknown): Promise<EntryTag[] | undefined> {
  const raw = response as { statusCode?: number; body?: unknown } | undefined;
  if (raw === undefined || raw.statusCode === undefined || raw.statusCode < 200 || raw.statusCode >= 300)
    return undefined;
  const body = raw.body;
  let bytes: Uint8Array;
  if (body instanceof Uint8Array) bytes = body;
  else if (body !== null && typeof body === "object" && Symbol.asyncIterator in body) {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>)
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
    bytes = Buffer.concat(chunks);
  } else return undefined;
  raw.body = bytes; // the deserializer takes bytes as well as a stream
  return entryOrder(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
}
