// Parsing Bucket documents (one or many YAML documents) into objects the runtimes can key and schedule.
import { BucketDocument, formatIssues, type ObjectMeta } from "./schema.js";
import { SpecError } from "./errors.js";

/** A Bucket object as the runtimes hold it: metadata plus the still-unvalidated spec. */
export interface BucketObject {
  apiVersion: string;
  metadata: ObjectMeta & { namespace: string };
  spec: unknown;
}

/** "namespace/name", the key both runtimes use for a Bucket. */
export function bucketKey(meta: { namespace: string; name: string }): string {
  return `${meta.namespace}/${meta.name}`;
}

/** Validates a document's apiVersion, kind and metadata. Throws SpecError naming the field. */
export function parseBucketDocument(doc: unknown): BucketObject {
  const parsed = BucketDocument.safeParse(doc, { reportInput: true });
  if (!parsed.success) throw new SpecError(formatIssues(parsed.error, ""));
  const { apiVersion, metadata, spec } = parsed.data;
  return { apiVersion, metadata, spec };
}
