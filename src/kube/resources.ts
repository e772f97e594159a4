// The Bucket custom resource as the controller sees it, and the API paths it uses.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { BucketStatus } from "../api/status.js";
import { GROUP } from "../api/schema.js";

export const VERSION = "v1";
export const PLURAL = "buckets";
export const FINALIZER = "finalizers.fluxcd.io";

export interface BucketResource extends KubernetesObject {
  spec?: unknown;
  status?: Partial<BucketStatus>;
}

/** "namespace/name" of an object. */
export function objectKey(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

/** Watch path of Buckets in all namespaces, or one. */
export function bucketsPath(namespace?: string): string {
  return namespace
    ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`
    : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
}

export const bucketApi = { group: GROUP, version: VERSION, plural: PLURAL };

/** Whether the spec says `suspend: true`. */
export function isSuspended(obj: BucketResource): boolean {
  const spec = obj.spec;
  return typeof spec === "object" && spec !== null && (spec as { suspend?: unknown }).suspend === true;
}

/**
 * A merge patch body that makes the stored status equal `status`: optional fields that are absent are
 * sent as null, since a merge patch would otherwise keep their old values.
 */
export function statusPatch(status: BucketStatus): { status: Record<string, unknown> } {
  const body: Record<string, unknown> = {
    url: null,
    artifact: null,
    observedIgnore: null,
    pinned: null,
    lastHandledReconcileAt: null,
  };
  // A field the status no longer has is sent as null (merge patch: delete), also when it is present but undefined.
  for (const [key, value] of Object.entries(status)) if (value !== undefined) body[key] = value;
  return { status: body };
}
