// Pinning a Bucket object in a cluster: a merge patch of spec.asOf (null removes it).
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import type { SecretReader } from "../credentials/secret.js";
import { bucketApi, type BucketResource } from "./resources.js";
import { kubeSecretReader } from "./secrets.js";

/** Which cluster and namespace: the kubeconfig flags every cluster command takes. */
export interface ClusterTarget {
  /** A kubeconfig file; undefined → $KUBECONFIG, then ~/.kube/config, then in-cluster. */
  kubeconfig?: string;
  /** A context of the kubeconfig; undefined → its current context. */
  context?: string;
  namespace: string;
  name: string;
}

/** A Bucket object that does not exist (404), or one that cannot be read or patched (any other API error). */
export class ClusterBucketError extends Error {
  override readonly name = "ClusterBucketError";
  readonly notFound: boolean;
  constructor(message: string, notFound: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.notFound = notFound;
  }
}

/** Loads the kubeconfig and selects the context. Throws ClusterBucketError for an unreadable file or unknown context. */
export function loadCluster(target: Pick<ClusterTarget, "kubeconfig" | "context">): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ClusterBucketError(`cannot load the kubeconfig: ${why}`, false, { cause: error });
  }
  if (target.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === target.context))
      throw new ClusterBucketError(`no context ${target.context} in the kubeconfig`, false);
    kc.setCurrentContext(target.context);
  }
  return kc;
}

/** The Bucket object and a reader of its namespace's Secrets. Throws ClusterBucketError. */
export async function readClusterBucket(
  kc: KubeConfig,
  target: ClusterTarget,
): Promise<{ bucket: BucketResource; readSecret: SecretReader }> {
  const api = kc.makeApiClient(CustomObjectsApi);
  try {
    const bucket = (await api.getNamespacedCustomObject({
      ...bucketApi,
      namespace: target.namespace,
      name: target.name,
    })) as BucketResource;
    return { bucket, readSecret: kubeSecretReader(kc) };
  } catch (error) {
    throw apiError(error, target, "read");
  }
}

/**
 * Sets (a time) or removes (undefined) spec.asOf of a Bucket object with a JSON merge patch, leaving the rest of
 * its spec as it is; the controller sees a new generation and reconciles. Resolves with the patched object.
 * Throws ClusterBucketError (notFound for a missing Bucket; also when the stored object lacks the asOf set, as
 * a CRD without the field prunes it).
 */
export async function patchAsOf(
  kc: KubeConfig,
  target: ClusterTarget,
  asOf: string | undefined,
): Promise<BucketResource> {
  const api = kc.makeApiClient(CustomObjectsApi);
  let patched: BucketResource;
  try {
    patched = (await api.patchNamespacedCustomObject(
      {
        ...bucketApi,
        namespace: target.namespace,
        name: target.name,
        body: { spec: { asOf: asOf ?? null } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as BucketResource;
  } catch (error) {
    throw apiError(error, target, "patch");
  }
  // A CRD without the field prunes it silently: say so rather than report a pin that is not there.
  const stored = (patched.spec as { asOf?: unknown } | undefined)?.asOf;
  if (asOf !== undefined && stored !== asOf)
    throw new ClusterBucketError(
      `the cluster dropped spec.asOf of Bucket ${target.namespace}/${target.name}: its Bucket CRD predates pinning; upgrade it (bucketops install)`,
      false,
    );
  return patched;
}

function apiError(error: unknown, target: ClusterTarget, verb: string): ClusterBucketError {
  const where = `Bucket ${target.namespace}/${target.name}`;
  if (error instanceof ApiException && error.code === 404)
    return new ClusterBucketError(`${where} not found in the cluster`, true, { cause: error });
  const why =
    error instanceof ApiException ? `HTTP ${error.code}${statusMessage(error.body)}` : String(error);
  return new ClusterBucketError(`cannot ${verb} ${where}: ${why}`, false, { cause: error });
}

/** ": <message>" of a Kubernetes Status body (e.g. why a 422 was refused), or "". */
function statusMessage(body: unknown): string {
  try {
    const parsed: unknown = typeof body === "string" ? JSON.parse(body) : body;
    const message = (parsed as { message?: unknown } | null)?.message;
    return typeof message === "string" ? `: ${message}` : "";
  } catch {
    return "";
  }
}
