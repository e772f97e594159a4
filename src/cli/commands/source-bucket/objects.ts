// Bucket objects as Kubernetes shows them (apiVersion/kind/metadata/spec/status), from either runtime, and the
// clean form `export` prints.
import type { BucketStatus } from "../../../api/status.js";
import type { BucketView } from "../../../standalone/runner.js";

export const BUCKET_API_VERSION = "source.toolkit.fluxcd.io/v1";

/** A Bucket object: what `get -o json|yaml` prints and `kubectl apply -f` takes. */
export interface BucketObjectJson {
  apiVersion: string;
  kind: "Bucket";
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    generation?: number;
    [key: string]: unknown;
  };
  spec: Record<string, unknown>;
  status?: Partial<BucketStatus>;
}

/** A v1 List of objects, as kubectl prints several. */
export interface ObjectList {
  apiVersion: "v1";
  kind: "List";
  items: BucketObjectJson[];
}

/** The Bucket object of a standalone server's view: its YAML spec with the API's suspend overlaid, its status. */
export function viewToObject(view: BucketView): BucketObjectJson {
  const spec = { ...(isRecord(view.spec) ? view.spec : {}) };
  if (view.suspended) spec.suspend = true;
  else delete spec.suspend;
  return {
    apiVersion: BUCKET_API_VERSION,
    kind: "Bucket",
    metadata: { name: view.name, namespace: view.namespace, generation: view.generation },
    spec,
    status: view.status,
  };
}

/** One object as it is, several as a List. */
export function objectOrList(items: BucketObjectJson[], single: boolean): BucketObjectJson | ObjectList {
  if (single && items[0]) return items[0];
  return { apiVersion: "v1", kind: "List", items };
}

const SERVER_FIELDS = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "finalizers",
  "ownerReferences",
];
const DROPPED_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "reconcile.fluxcd.io/requestedAt",
];

/**
 * The object as `flux export` prints it: apiVersion, kind, metadata (name, namespace, labels and annotations other
 * than kubectl's and the reconcile request) and spec; no status and no server-set fields.
 */
export function exportObject(obj: BucketObjectJson): BucketObjectJson {
  const metadata = Object.fromEntries(
    Object.entries(obj.metadata).filter(([field]) => !SERVER_FIELDS.includes(field)),
  ) as BucketObjectJson["metadata"];
  const annotations = Object.fromEntries(
    Object.entries(metadata.annotations ?? {}).filter(([key]) => !DROPPED_ANNOTATIONS.includes(key)),
  );
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  if (metadata.labels && Object.keys(metadata.labels).length === 0) delete metadata.labels;
  return { apiVersion: obj.apiVersion, kind: "Bucket", metadata, spec: obj.spec };
}

/** The Ready condition of an object's status. */
export function readyCondition(
  obj: BucketObjectJson,
): { status: string; reason?: string; message?: string; observedGeneration?: number } | undefined {
  return obj.status?.conditions?.find((c) => c.type === "Ready");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
