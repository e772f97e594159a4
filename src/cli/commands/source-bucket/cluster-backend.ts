// The flux-style verbs against a cluster: Bucket objects through the Kubernetes API (kubeconfig, context).
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type KubeConfig,
} from "@kubernetes/client-node";
import { loadCluster, ClusterBucketError } from "../../../kube/pin.js";
import { bucketApi } from "../../../kube/resources.js";
import { CliError, ExitCode } from "../../exit-codes.js";
import type { BucketBackend, BucketEvent, ReconcileOutcome } from "./backend.js";
import { readyCondition, type BucketObjectJson } from "./objects.js";

/** Flux's reconcile request (engine/reconcile.ts's REQUESTED_AT_ANNOTATION; not imported: it loads the engine). */
const REQUESTED_AT_ANNOTATION = "reconcile.fluxcd.io/requestedAt";
/** How often a wait re-reads the Bucket. */
const POLL_MS = 500;

/** Loads the kubeconfig (CliError exit 2 when it cannot be read or has no such context). */
export function openClusterBackend(target: { kubeconfig?: string; context?: string }): BucketBackend {
  try {
    return new ClusterBackend(loadCluster(target));
  } catch (error) {
    if (error instanceof ClusterBucketError) throw new CliError(error.message, ExitCode.Usage);
    throw error;
  }
}

/** A cluster's Bucket objects. */
class ClusterBackend implements BucketBackend {
  readonly where: string;
  private readonly objects: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.objects = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.where = `the cluster ${kc.getCurrentCluster()?.server ?? ""} (context ${kc.getCurrentContext()})`;
  }

  async list(namespace: string | undefined): Promise<BucketObjectJson[]> {
    const answer = (await this.call("list Buckets", () =>
      namespace === undefined
        ? this.objects.listClusterCustomObject({ ...bucketApi })
        : this.objects.listNamespacedCustomObject({ ...bucketApi, namespace }),
    )) as { items: BucketObjectJson[] };
    return answer.items
      .map((o) => ({ ...o, apiVersion: o.apiVersion, kind: "Bucket" as const }))
      .sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      );
  }

  async get(namespace: string, name: string): Promise<BucketObjectJson> {
    return (await this.call(`read Bucket ${namespace}/${name}`, () =>
      this.objects.getNamespacedCustomObject({ ...bucketApi, namespace, name }),
    )) as BucketObjectJson;
  }

  async apply(object: BucketObjectJson): Promise<BucketObjectJson> {
    const { namespace, name } = object.metadata;
    // Server-side apply: creates the Bucket or updates the fields this CLI owns, like `kubectl apply`.
    return (await this.call(`apply Bucket ${namespace}/${name}`, () =>
      this.objects.patchNamespacedCustomObject(
        { ...bucketApi, namespace, name, body: object, fieldManager: "bucketops", force: true },
        setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
      ),
    )) as BucketObjectJson;
  }

  async reconcile(namespace: string, name: string, timeoutMs: number): Promise<ReconcileOutcome> {
    const current = await this.get(namespace, name);
    if (current.spec.suspend === true)
      throw new CliError(
        `Bucket ${namespace}/${name} is suspended: resume it first (bucketops resume source bucket ${name} -n ${namespace})`,
        ExitCode.Failed,
      );
    return this.requestAndWait(namespace, name, {}, timeoutMs);
  }

  suspend(namespace: string, name: string): Promise<BucketObjectJson> {
    return this.mergePatch(namespace, name, { spec: { suspend: true } });
  }

  resume(namespace: string, name: string, timeoutMs: number): Promise<ReconcileOutcome> {
    return this.requestAndWait(namespace, name, { spec: { suspend: null } }, timeoutMs);
  }

  async checkDeletable(namespace: string, name: string): Promise<void> {
    await this.get(namespace, name);
  }

  async delete(namespace: string, name: string): Promise<void> {
    await this.call(`delete Bucket ${namespace}/${name}`, () =>
      this.objects.deleteNamespacedCustomObject({ ...bucketApi, namespace, name }),
    );
  }

  async events(namespace: string | undefined, name: string | undefined): Promise<BucketEvent[]> {
    const fieldSelector = [
      "involvedObject.kind=Bucket",
      ...(name ? [`involvedObject.name=${name}`] : []),
    ].join(",");
    const list = await this.call("list Events", () =>
      namespace === undefined
        ? this.core.listEventForAllNamespaces({ fieldSelector })
        : this.core.listNamespacedEvent({ namespace, fieldSelector }),
    );
    return list.items
      .map(toBucketEvent)
      .sort((a, b) => (a.lastTimestamp ?? "").localeCompare(b.lastTimestamp ?? ""));
  }

  /**
   * Sets the reconcile.fluxcd.io/requestedAt annotation (with `patch` merged in) and waits until the controller
   * has handled it (status.lastHandledReconcileAt) and Ready says True or False for the current generation.
   */
  private async requestAndWait(
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<ReconcileOutcome> {
    const requestedAt = new Date().toISOString();
    await this.mergePatch(namespace, name, {
      ...patch,
      metadata: { annotations: { [REQUESTED_AT_ANNOTATION]: requestedAt } },
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const object = await this.get(namespace, name);
      const ready = readyCondition(object);
      const current =
        object.status?.lastHandledReconcileAt === requestedAt &&
        (ready?.observedGeneration === undefined || ready.observedGeneration === object.metadata.generation);
      if (current && ready && ready.status !== "Unknown")
        return { object, ready: ready.status === "True", message: ready.message ?? "" };
      if (Date.now() >= deadline)
        throw new CliError(
          `timed out after ${Math.round(timeoutMs / 1000)}s waiting for Bucket ${namespace}/${name} to be reconciled (is a controller running? status.lastHandledReconcileAt is ${object.status?.lastHandledReconcileAt ?? "unset"})`,
          ExitCode.Failed,
        );
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private async mergePatch(namespace: string, name: string, body: unknown): Promise<BucketObjectJson> {
    return (await this.call(`patch Bucket ${namespace}/${name}`, () =>
      this.objects.patchNamespacedCustomObject(
        { ...bucketApi, namespace, name, body },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    )) as BucketObjectJson;
  }

  /** Runs an API call; a 404 or another API error fails (exit 1), no answer at all is Unreachable (exit 3). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ApiException) {
        if (error.code === 404)
          throw new CliError(`cannot ${what}: not found in ${this.where}`, ExitCode.Failed);
        throw new CliError(`cannot ${what}: HTTP ${error.code}${statusMessage(error.body)}`, ExitCode.Failed);
      }
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliError(`cannot reach ${this.where}: ${cause}`, ExitCode.Unreachable);
    }
  }
}

function toBucketEvent(e: CoreV1Event): BucketEvent {
  const last = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
  return {
    namespace: e.involvedObject.namespace ?? e.metadata.namespace ?? "",
    name: e.involvedObject.name ?? "",
    type: e.type ?? "Normal",
    reason: e.reason ?? "",
    message: e.message ?? "",
    ...(last ? { lastTimestamp: new Date(last).toISOString() } : {}),
    count: e.count ?? 1,
  };
}

/** ": <message>" of a Kubernetes Status body, or "". */
function statusMessage(body: unknown): string {
  try {
    const parsed: unknown = typeof body === "string" ? JSON.parse(body) : body;
    const message = (parsed as { message?: unknown } | null)?.message;
    return typeof message === "string" ? `: ${message}` : "";
  } catch {
    return "";
  }
}
