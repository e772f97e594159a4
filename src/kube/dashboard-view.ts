// A Bucket object as the dashboard reads it: the shape of the standalone BucketView (web/src/types.ts), built from
// the controller's cache. What only the standalone runner knows (its file, last and next reconcile) is left out.
import type { Artifact, Condition } from "../api/status.js";
import { REQUESTED_AT_ANNOTATION } from "../engine/reconcile.js";
import { isSuspended, type BucketResource } from "./resources.js";

export interface ControllerBucketView {
  namespace: string;
  name: string;
  /** Where the Bucket is defined: a Kubernetes object, not a file. */
  file: string;
  spec: Record<string, unknown>;
  suspended: boolean;
  generation: number;
  status: { conditions: Condition[]; artifact?: Artifact; url?: string };
  reconciling: boolean;
  /** The last reconcile.fluxcd.io/requestedAt annotation. */
  requestedAt?: string;
}

/** The dashboard's view of a Bucket object. */
export function bucketView(obj: BucketResource): ControllerBucketView {
  const namespace = obj.metadata?.namespace ?? "";
  const name = obj.metadata?.name ?? "";
  const conditions = obj.status?.conditions ?? [];
  const spec = typeof obj.spec === "object" && obj.spec !== null ? (obj.spec as Record<string, unknown>) : {};
  return {
    namespace,
    name,
    file: `Kubernetes object ${namespace}/${name}`,
    spec,
    suspended: isSuspended(obj),
    generation: obj.metadata?.generation ?? 0,
    status: { conditions, artifact: obj.status?.artifact, url: obj.status?.url },
    reconciling: conditions.some((c) => c.type === "Reconciling" && c.status === "True"),
    requestedAt: obj.metadata?.annotations?.[REQUESTED_AT_ANNOTATION],
  };
}
