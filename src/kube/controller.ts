// The Bucket controller: informer → work queue → engine → status subresource, events, requeue.
import { rm } from "node:fs/promises";
import path from "node:path";
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type ObjectCache,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { normalizeSpec } from "../api/normalize.js";
import { initialStatus, type Artifact, type BucketStatus } from "../api/status.js";
import type { ReconcileMetrics } from "../engine/metrics.js";
import { REQUESTED_AT_ANNOTATION, reconcile, type EngineDeps } from "../engine/reconcile.js";
import { beginReconcile } from "../engine/summarize.js";
import { ChangeSet } from "../hooks/change-set.js";
import type { HookSubject } from "../hooks/match.js";
import type { ObjectChange } from "../source/object-change.js";
import type { ArtifactStore } from "../storage/artifact-store.js";
import type { EventRecorder } from "./events.js";
import type { ExternalArtifactSync } from "./external-artifacts.js";
import { failureBackoff, nextInterval } from "../engine/requeue.js";
import {
  FINALIZER,
  bucketApi,
  bucketsPath,
  isSuspended,
  objectKey,
  statusPatch,
  type BucketResource,
} from "./resources.js";
import { WorkQueue } from "./work-queue.js";

export interface ControllerOptions {
  kc: KubeConfig;
  store: ArtifactStore;
  cacheRoot: string;
  logger: Logger;
  metrics: ReconcileMetrics;
  recordEvent: EventRecorder;
  readSecret: EngineDeps["readSecret"];
  /** Parallel reconciles (Flux: --concurrent). */
  workers: number;
  /** Parallel downloads per Bucket. */
  concurrency: number;
  /** The runtime's limits (see EngineDeps.limits). */
  limits?: EngineDeps["limits"];
  /** Only Buckets matching this label selector (sharding: sharding.fluxcd.io/key=…). */
  labelSelector?: string;
  /** Only this namespace; all when undefined. */
  namespace?: string;
  /** Buckets per list page (default 500). */
  listPageSize?: number;
  /** Keeps the ExternalArtifacts of Buckets with spec.externalArtifacts; none: no ExternalArtifacts. */
  externalArtifacts?: ExternalArtifactSync;
}

type Seen = { generation?: number; requestedAt?: string; deleting: boolean; spec: string };

export class BucketController {
  private readonly options: ControllerOptions;
  private readonly api: CustomObjectsApi;
  private readonly queue = new WorkQueue();
  /** Consecutive failed ExternalArtifact syncs per Bucket key, for their retry backoff. */
  private readonly externalArtifactFailures = new Map<string, number>();
  private readonly informer: Informer<BucketResource> & ObjectCache<BucketResource>;
  private readonly seen = new Map<string, Seen>();
  /** Status we last wrote, newer than the informer's copy until the watch delivers it. */
  private readonly written = new Map<string, { uid: string; status: BucketStatus }>();
  private readonly failures = new Map<string, number>();
  /** Objects bucket events named per key, for its next reconcile. */
  private readonly changes = new Map<string, ChangeSet>();
  /** When each key's next full listing is due (ms); absent: the next reconcile lists everything. */
  private readonly fullDueAt = new Map<string, number>();
  private synced = false;
  private stopped = false;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.api = options.kc.makeApiClient(CustomObjectsApi);
    const list = (): Promise<KubernetesListObject<BucketResource>> => this.listAll();
    this.informer = makeInformer(options.kc, bucketsPath(options.namespace), list, options.labelSelector);
    this.informer.on("add", (obj) => {
      this.observe(obj, true);
    });
    this.informer.on("update", (obj) => {
      this.observe(obj, false);
    });
    this.informer.on("delete", (obj) => {
      const key = objectKey(obj);
      this.seen.delete(key);
      this.written.delete(key);
      this.changes.delete(key);
      this.fullDueAt.delete(key);
      this.queue.forget(key);
      this.externalArtifactFailures.delete(key);
    });
    this.informer.on("connect", () => {
      this.synced = true;
    });
    this.informer.on("error", (error) => {
      if (this.stopped) return; // stop() aborts the watch: that is not a failure
      options.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "Bucket watch failed; restarting in 2s",
      );
      setTimeout(() => {
        if (!this.stopped) void this.informer.start().catch(() => undefined);
      }, 2000);
    });
  }

  /** Whether the first list has completed (readiness). */
  isSynced(): boolean {
    return this.synced;
  }

  /** The Buckets this controller reconciles (its namespace, label selector and shard), for the hooks. */
  hookSubjects(): HookSubject[] {
    return this.informer
      .list()
      .filter((obj) => !obj.metadata?.deletionTimestamp)
      .map((obj) => ({
        namespace: obj.metadata?.namespace ?? "",
        name: obj.metadata?.name ?? "",
        spec: obj.spec,
      }));
  }

  /** A Bucket's spec and its current status.artifact (the status last written wins over the informer's copy). */
  publishedState(namespace: string, name: string): { spec: unknown; artifact?: Artifact } | undefined {
    const obj = this.informer.get(name, namespace);
    if (!obj || obj.metadata?.deletionTimestamp) return undefined;
    return { spec: obj.spec, artifact: this.currentStatus(obj, objectKey(obj)).artifact };
  }

  /** The Buckets in the informer cache with their current status (the dashboard's read API). */
  buckets(): BucketResource[] {
    return this.informer.list().map((obj) => this.withCurrentStatus(obj));
  }

  /** One cached Bucket with its current status; undefined when the cache has none. */
  bucket(namespace: string, name: string): BucketResource | undefined {
    const obj = this.informer.get(name, namespace);
    return obj ? this.withCurrentStatus(obj) : undefined;
  }

  /** Calls `listener` for each cached Bucket added, changed (also its status) or deleted; returns the unsubscribe. */
  onBucket(listener: (obj: BucketResource, deleted: boolean) => void): () => void {
    const changed = (obj: BucketResource): void => {
      listener(obj, false);
    };
    const deleted = (obj: BucketResource): void => {
      listener(obj, true);
    };
    this.informer.on("add", changed);
    this.informer.on("update", changed);
    this.informer.on("delete", deleted);
    return () => {
      this.informer.off("add", changed);
      this.informer.off("update", changed);
      this.informer.off("delete", deleted);
    };
  }

  private withCurrentStatus(obj: BucketResource): BucketResource {
    return { ...obj, status: this.currentStatus(obj, objectKey(obj)) };
  }

  /**
   * Reconciles a Bucket soon with the objects bucket events named (undefined: a full listing), merged with events
   * still pending for it. Returns false when this controller does not know the Bucket or it is suspended.
   */
  notify(namespace: string, name: string, changes: readonly ObjectChange[] | undefined): boolean {
    const obj = this.informer.get(name, namespace);
    if (!obj || isSuspended(obj)) return false;
    const key = `${namespace}/${name}`;
    const set = this.changes.get(key) ?? new ChangeSet();
    set.add(changes?.map((change) => ({ change })));
    this.changes.set(key, set);
    this.queue.add(key);
    return true;
  }

  /** Starts watching and reconciling. */
  async start(): Promise<void> {
    await this.options.externalArtifacts?.sweepWork();
    this.queue.run(this.options.workers, (key) => this.process(key));
    await this.informer.start();
    this.synced = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
    await this.queue.shutdown();
  }

  // Enqueue on what asks for a reconcile: a new object, a spec change (generation), the requestedAt
  // annotation, deletion. Our own status writes also arrive as updates and must not loop.
  private observe(obj: BucketResource, added: boolean): void {
    const key = objectKey(obj);
    const next: Seen = {
      generation: obj.metadata?.generation,
      requestedAt: obj.metadata?.annotations?.[REQUESTED_AT_ANNOTATION],
      deleting: obj.metadata?.deletionTimestamp !== undefined,
      spec: JSON.stringify(obj.spec ?? null),
    };
    const previous = this.seen.get(key);
    this.seen.set(key, next);
    const changed =
      !previous ||
      previous.generation !== next.generation ||
      previous.requestedAt !== next.requestedAt ||
      previous.deleting !== next.deleting ||
      previous.spec !== next.spec;
    if (added || changed) {
      this.fullDueAt.delete(key); // a new spec lists everything
      this.queue.add(key);
    }
  }

  private async listAll(): Promise<KubernetesListObject<BucketResource>> {
    // Paged, so a cluster with thousands of Buckets is listed in bounded responses.
    const items: BucketResource[] = [];
    let _continue: string | undefined;
    let resourceVersion = "";
    do {
      const limit = this.options.listPageSize ?? 500;
      const query = { ...bucketApi, labelSelector: this.options.labelSelector, limit, _continue };
      const namespace = this.options.namespace;
      const page = (
        namespace
          ? await this.api.listNamespacedCustomObject({ ...query, namespace })
          : await this.api.listCustomObjectForAllNamespaces(query)
      ) as KubernetesListObject<BucketResource>;
      items.push(...page.items);
      _continue = continueToken(page.metadata);
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    } while (_continue);
    return { apiVersion: "v1", kind: "List", items, metadata: { resourceVersion } };
  }

  private async process(key: string): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const obj = this.informer.get(name, namespace);
    if (!obj) return;
    const log = this.options.logger.child({ bucket: key });
    try {
      if (obj.metadata?.deletionTimestamp) {
        await this.finalize(obj);
        return;
      }
      if (!obj.metadata?.finalizers?.includes(FINALIZER)) {
        await this.patchFinalizers(obj, [...(obj.metadata?.finalizers ?? []), FINALIZER]);
      }
      if (isSuspended(obj)) {
        log.debug("suspended");
        return;
      }
      await this.reconcileObject(obj, key);
    } catch (error) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      log.error(
        { err: error instanceof Error ? error.message : String(error) },
        "reconcile failed; retrying",
      );
      this.fullDueAt.delete(key);
      this.queue.addAfter(key, failureBackoff(failures, 5 * 60_000));
    }
  }

  private async reconcileObject(obj: BucketResource, key: string): Promise<void> {
    const namespace = obj.metadata?.namespace ?? "";
    const name = obj.metadata?.name ?? "";
    const generation = obj.metadata?.generation ?? 1;
    let status = this.currentStatus(obj, key);
    if (status.observedGeneration !== generation) {
      status = beginReconcile(status, generation, new Date());
      await this.patchStatus(obj, status);
    }
    const changes = this.takeChanges(key);
    if (changes) {
      const keys = changes.slice(0, 20).map((c) => c.key);
      this.options.logger.debug(
        { bucket: key, changes: changes.length, keys },
        "reconciling for bucket events",
      );
    }
    const result = await reconcile(
      {
        ref: { namespace, name },
        generation,
        spec: obj.spec,
        annotations: obj.metadata?.annotations,
        status,
        changes,
      },
      {
        store: this.options.store,
        readSecret: this.options.readSecret,
        cacheRoot: this.options.cacheRoot,
        logger: this.options.logger,
        concurrency: this.options.concurrency,
        limits: this.options.limits,
      },
    );
    await this.patchStatus(obj, result.status);
    this.written.set(key, { uid: obj.metadata?.uid ?? "", status: result.status });
    for (const event of result.events) await this.options.recordEvent(obj, event);
    if (result.spec)
      await this.syncExternalArtifacts(obj, result.status.artifact, result.spec.externalArtifacts);
    this.options.metrics.observe({ namespace, name }, result);

    const interval = result.spec?.intervalMs ?? intervalOf(obj.spec);
    if (result.outcome === "failed") {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      this.fullDueAt.delete(key);
      this.queue.addAfter(key, result.retryAfterMs ?? failureBackoff(failures, interval ?? 60_000));
    } else {
      this.failures.delete(key);
      const due = this.fullDueAt.get(key);
      if (changes && due !== undefined)
        this.queue.addAfter(key, due - Date.now()); // keep the full listing due
      else if (result.outcome !== "stalled" && interval !== undefined) {
        const delay = nextInterval(interval);
        this.fullDueAt.set(key, Date.now() + delay);
        this.queue.addAfter(key, delay);
      }
    }
  }

  // Events since the last run, unless a full listing is due (the interval's, a new spec, after a failure).
  private takeChanges(key: string): ObjectChange[] | undefined {
    const set = this.changes.get(key);
    this.changes.delete(key);
    const due = this.fullDueAt.get(key);
    return due === undefined || due <= Date.now() ? undefined : set?.take();
  }

  private currentStatus(obj: BucketResource, key: string): BucketStatus {
    const written = this.written.get(key);
    if (written && written.uid === obj.metadata?.uid) return written.status;
    const s = obj.status;
    if (!s || s.conditions === undefined)
      return { ...initialStatus(), ...s, conditions: s?.conditions ?? [] };
    return { observedGeneration: s.observedGeneration ?? -1, ...s, conditions: s.conditions };
  }

  private async patchStatus(obj: BucketResource, status: BucketStatus): Promise<void> {
    await this.api.patchNamespacedCustomObjectStatus(
      {
        ...bucketApi,
        namespace: obj.metadata?.namespace ?? "",
        name: obj.metadata?.name ?? "",
        body: statusPatch(status),
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  private async patchFinalizers(obj: BucketResource, finalizers: string[]): Promise<void> {
    // resourceVersion makes the patch fail (409) rather than drop a finalizer someone else just added.
    const body = { metadata: { finalizers, resourceVersion: obj.metadata?.resourceVersion } };
    await this.api.patchNamespacedCustomObject(
      { ...bucketApi, namespace: obj.metadata?.namespace ?? "", name: obj.metadata?.name ?? "", body },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  }

  private async syncExternalArtifacts(
    obj: BucketResource,
    artifact: BucketStatus["artifact"],
    wanted: { charts?: boolean; mirror?: boolean } | undefined,
  ): Promise<void> {
    const key = objectKey(obj);
    try {
      await this.options.externalArtifacts?.sync(obj, artifact, wanted ?? {});
      this.externalArtifactFailures.delete(key);
    } catch (error) {
      this.warnExternalArtifacts(obj, error);
      // Retried soon (1 s, 2 s, … up to a minute), not at the interval: e.g. the API server answers 429 while the
      // ExternalArtifact CRD's storage initializes. The reconcile that retries finds the Bucket unchanged: cheap.
      const failures = (this.externalArtifactFailures.get(key) ?? 0) + 1;
      this.externalArtifactFailures.set(key, failures);
      this.queue.addAfter(key, failureBackoff(failures, 60_000));
    }
  }

  private warnExternalArtifacts(obj: BucketResource, error: unknown): void {
    this.options.logger.warn(
      { bucket: objectKey(obj), err: error instanceof Error ? error.message : String(error) },
      "ExternalArtifacts not updated",
    );
  }

  /** Deletes a Bucket's artifacts and cache, then lets Kubernetes remove the object. */
  private async finalize(obj: BucketResource): Promise<void> {
    const namespace = obj.metadata?.namespace ?? "";
    const name = obj.metadata?.name ?? "";
    // Before the files go; a failure must not block deletion: the ownerReferences let Kubernetes delete them too.
    await this.options.externalArtifacts?.remove(obj).catch((error: unknown) => {
      this.warnExternalArtifacts(obj, error);
    });
    await this.options.store.remove({ namespace, name });
    await rm(path.join(this.options.cacheRoot, namespace, name), { recursive: true, force: true });
    this.options.metrics.forget({ namespace, name });
    const remaining = (obj.metadata?.finalizers ?? []).filter((f) => f !== FINALIZER);
    if (remaining.length !== obj.metadata?.finalizers?.length) {
      try {
        await this.patchFinalizers(obj, remaining);
      } catch (error) {
        if (!(error instanceof ApiException && error.code === 404)) throw error;
      }
    }
    this.options.logger.info({ bucket: `${namespace}/${name}` }, "Bucket deleted; artifacts removed");
  }
}

function intervalOf(spec: unknown): number | undefined {
  try {
    return normalizeSpec(spec).intervalMs;
  } catch {
    return undefined;
  }
}

/**
 * The list's continue token. Custom objects come back as plain JSON, so the field is `continue`; client-node's
 * typed models call it `_continue`. Reading only the latter stopped every list after its first page.
 */
function continueToken(metadata: unknown): string | undefined {
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const meta = metadata as { continue?: unknown; _continue?: unknown };
  const token = meta.continue ?? meta._continue;
  return typeof token === "string" && token !== "" ? token : undefined;
}
