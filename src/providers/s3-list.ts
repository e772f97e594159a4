// S3 listings, ListObjectsV2 and the v1 fallback, sent with EncodingType=url and decoded (see s3-encoding.ts).
import { ListObjectsCommand, ListObjectsV2Command, type S3Client, type _Object } from "@aws-sdk/client-s3";
import { listingDecoder } from "./s3-encoding.js";
import type { RequestCounts } from "./types.js";

/** One listed object as the SDK gives it, with its key decoded. */
export type ListedObject = Omit<_Object, "Key"> & { Key: string };

export interface ListOptions {
  bucket: string;
  prefix: string;
  signal?: AbortSignal | undefined;
  /** Counted once a page. */
  requests: RequestCounts;
  /** Page size; the server's default (1,000) when omitted. */
  maxKeys?: number;
}

/** Lists every object under `prefix` with ListObjectsV2, page by page, keys decoded. SDK errors pass through. */
export async function* listObjectsV2(client: S3Client, options: ListOptions): AsyncGenerator<ListedObject> {
  const { bucket: Bucket, prefix: Prefix, signal, requests, maxKeys: MaxKeys } = options;
  let ContinuationToken: string | undefined; // opaque: never encoded
  do {
    requests.list++;
    const page = await client.send(
      new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken, MaxKeys, EncodingType: "url" }),
      { abortSignal: signal },
    );
    const decode = listingDecoder(page.EncodingType);
    for (const o of page.Contents ?? []) if (o.Key !== undefined) yield { ...o, Key: decode(o.Key) };
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
}

/**
 * Lists with ListObjects v1, for servers without V2 (GCS's S3 interoperability API). The request's Marker is a
 * plain key, while the response's NextMarker is encoded like the keys: it is decoded before it is sent back.
 */
export async function* listObjectsV1(client: S3Client, options: ListOptions): AsyncGenerator<ListedObject> {
  const { bucket: Bucket, prefix: Prefix, signal, requests, maxKeys: MaxKeys } = options;
  let Marker: string | undefined;
  do {
    requests.list++;
    const page = await client.send(
      new ListObjectsCommand({ Bucket, Prefix, Marker, MaxKeys, EncodingType: "url" }),
      { abortSignal: signal },
    );
    const decode = listingDecoder(page.EncodingType);
    let lastKey: string | undefined;
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      lastKey = decode(o.Key);
      yield { ...o, Key: lastKey };
    }
    // NextMarker is only returned with a delimiter; without one the last key is the marker.
    const next = page.NextMarker === undefined ? lastKey : decode(page.NextMarker);
    Marker = page.IsTruncated ? next : undefined;
  } while (Marker);
}
