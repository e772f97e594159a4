// What a hook payload says, once parsed: object events for bucket names, a Bucket named directly, or a reply.
import type { ObjectChange } from "../source/object-change.js";

/** One object event of a storage service, before it is matched to Buckets. */
export interface BucketEvent {
  /** The bucket or container name as the service spells it. */
  bucket: string;
  change: ObjectChange;
  /**
   * The service's per-object sequence (S3/Event Grid sequencer, GCS generation): of two events for one key, the
   * one with the higher value is the later. Compared after left-padding with zeros to the same length.
   */
  order?: string;
  /** The storage account the event comes from (Azure), to tell same-named containers of two accounts apart. */
  account?: string;
}

export type HookMessage =
  | { type: "events"; events: BucketEvent[]; ignored: number }
  | { type: "bucket"; namespace: string; name: string; changes?: ObjectChange[] }
  | { type: "reply"; body: unknown; notice?: string };

/** A payload the hook cannot read: answered with 400 and this short reason. */
export class HookPayloadError extends Error {
  override readonly name = "HookPayloadError";
}
