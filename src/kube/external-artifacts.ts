// Keeps a Bucket's ExternalArtifacts (spec.externalArtifacts) equal to its published state: one per chart it
// holds (the newest version's archive, stored under externalartifact/) and, opted in, a mirror of its artifact.
// Called after each reconcile and from the finalizer; a failure here never fails the Bucket's reconcile.
import { randomBytes } from "node:crypto";
import { readdir, rm, utimes } from "node:fs/promises";
import path from "node:path";
import {
  ApiException,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Artifact } from "../api/status.js";
import type { EngineEvent } from "../engine/types.js";
import type { ArtifactStore } from "../storage/artifact-store.js";
import {
  EXTERNAL_ARTIFACT_DIR,
  externalArtifactDir,
  externalArtifactPath,
  gcExternalArtifactDir,
} from "../storage/external-artifact-files.js";
import { chartsInArtifact, moveInto } from "./artifact-charts.js";
import type { EventRecorder } from "./events.js";
import {
  EXTERNAL_ARTIFACT_API,
  OWNER_UID_LABEL,
  ROLE_LABEL,
  chartArtifactName,
  externalArtifactStatus,
  isUpToDate,
  newExternalArtifact,
  type DesiredExternalArtifact,
  type ExternalArtifactResource,
} from "./external-artifact-objects.js";
import type { BucketResource } from "./resources.js";

export interface ExternalArtifactOptions {
  /** spec.externalArtifacts of the Bucket. */
  charts?: boolean;
  mirror?: boolean;
}

export interface ExternalArtifactSyncOptions {
  kc: KubeConfig;
  store: ArtifactStore;
  logger: Logger;
  recordEvent: EventRecorder;
  now?: () => Date;
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** The charts found in one artifact (by its digest), so an unchanged artifact is not read again. */
interface ChartPlan {
  digest: string;
  desired: DesiredExternalArtifact[];
}

/** One instance per controller; see the file comment. */
export class ExternalArtifactSync {
  private readonly api: CustomObjectsApi;
  private readonly plans = new Map<string, ChartPlan>();
  /** Buckets (uid) that want none and were checked to own none: not listed again at every reconcile. */
  private readonly settled = new Set<string>();
  private readonly now: () => Date;

  constructor(private readonly options: ExternalArtifactSyncOptions) {
    this.api = options.kc.makeApiClient(CustomObjectsApi);
    this.now = options.now ?? ((): Date => new Date());
  }

  /**
   * Creates, updates and deletes the Bucket's ExternalArtifacts so they match `artifact` (the Bucket's current one;
   * none: no ExternalArtifact) and `wanted`. Throws on API errors (the caller logs them; the next reconcile retries).
   */
  async sync(
    bucket: BucketResource,
    artifact: Artifact | undefined,
    wanted: ExternalArtifactOptions,
  ): Promise<void> {
    const namespace = bucket.metadata?.namespace ?? "";
    const name = bucket.metadata?.name ?? "";
    const uid = bucket.metadata?.uid ?? "";
    const none = !wanted.charts && !wanted.mirror;
    if (none && this.settled.has(uid)) return;
    this.settled.delete(uid);
    const desired: DesiredExternalArtifact[] = [];
    if (artifact && wanted.mirror)
      desired.push({
        name,
        role: "mirror",
        artifact,
        message: `mirrors the artifact of Bucket ${namespace}/${name}, revision ${artifact.revision}`,
      });
    if (artifact && wanted.charts) desired.push(...(await this.chartPlan(bucket, artifact)).desired);
    else this.plans.delete(uid);

    const existing = await this.owned(namespace, uid);
    for (const want of desired) {
      const current = existing.get(want.name);
      if (current && isUpToDate(current, want)) continue;
      const target = current ?? (await this.create(bucket, want));
      if (!target) continue;
      await this.api.patchNamespacedCustomObjectStatus(
        {
          ...EXTERNAL_ARTIFACT_API,
          namespace,
          name: want.name,
          body: { status: externalArtifactStatus(current, want, this.now()) },
        },
        mergePatch,
      );
      this.options.logger.info(
        { bucket: `${namespace}/${name}`, externalArtifact: want.name, revision: want.artifact.revision },
        "ExternalArtifact updated",
      );
      if (want.role === "chart")
        await gcExternalArtifactDir(
          this.options.store.absolute(externalArtifactDir(namespace, want.name)),
          path.posix.basename(want.artifact.path),
          1,
        );
    }
    const keep = new Set(desired.map((d) => d.name));
    for (const [eaName, obj] of existing) if (!keep.has(eaName)) await this.delete(namespace, eaName, obj);
    if (none) this.settled.add(uid);
  }

  /** Removes work folders a crashed run left (call before the first sync). */
  async sweepWork(): Promise<void> {
    const dir = this.options.store.absolute(EXTERNAL_ARTIFACT_DIR);
    for (const name of await readdir(dir).catch(() => [] as string[]))
      if (name.startsWith(".work-")) await rm(path.join(dir, name), { recursive: true, force: true });
  }

  /** Deletes every ExternalArtifact the Bucket owns and their files (the Bucket is being deleted). */
  async remove(bucket: BucketResource): Promise<void> {
    const namespace = bucket.metadata?.namespace ?? "";
    const uid = bucket.metadata?.uid ?? "";
    this.plans.delete(uid);
    this.settled.delete(uid);
    for (const [eaName, obj] of await this.owned(namespace, uid)) await this.delete(namespace, eaName, obj);
  }

  private async chartPlan(bucket: BucketResource, artifact: Artifact): Promise<ChartPlan> {
    const namespace = bucket.metadata?.namespace ?? "";
    const name = bucket.metadata?.name ?? "";
    const uid = bucket.metadata?.uid ?? "";
    const cached = this.plans.get(uid);
    if (cached?.digest === artifact.digest) return cached;
    const store = this.options.store;
    // A dot folder: the artifact server never serves it; the storage root's filesystem, so files rename into place.
    const work = store.absolute(
      path.posix.join(EXTERNAL_ARTIFACT_DIR, `.work-${randomBytes(8).toString("hex")}`),
    );
    try {
      const found = await chartsInArtifact(store.absolute(artifact.path), work);
      const events: EngineEvent[] = found.skipped.map((error) => ({
        type: "Warning",
        reason: "ChartSkipped",
        message: `no ExternalArtifact for ${error.message}`,
      }));
      const desired: DesiredExternalArtifact[] = [];
      for (const chart of found.charts) {
        const eaName = chartArtifactName(name, chart.metadata.name);
        const rel = externalArtifactPath(namespace, eaName, chart.digest);
        await moveInto(chart.file, store.absolute(rel));
        const now = this.now();
        await utimes(store.absolute(rel), now, now); // GC keeps the newest: this one is current again
        desired.push({
          name: eaName,
          role: "chart",
          chart: chart.metadata.name,
          artifact: {
            path: rel,
            url: store.urlFor(rel),
            revision: `${chart.metadata.version}@${chart.digest}`,
            digest: chart.digest,
            lastUpdateTime: now.toISOString(),
            size: chart.size,
          },
          message: `stored chart ${chart.metadata.name} version ${chart.metadata.version} from '${chart.source}'`,
        });
      }
      for (const error of found.skipped)
        this.options.logger.warn({ bucket: `${namespace}/${name}`, err: error.message }, "chart skipped");
      for (const event of events) await this.options.recordEvent(bucket, event);
      const plan = { digest: artifact.digest, desired };
      this.plans.set(uid, plan);
      return plan;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  // A cluster without Flux's ExternalArtifact CRD (404) holds none.
  private async owned(namespace: string, uid: string): Promise<Map<string, ExternalArtifactResource>> {
    let list: KubernetesListObject<ExternalArtifactResource>;
    try {
      list = (await this.api.listNamespacedCustomObject({
        ...EXTERNAL_ARTIFACT_API,
        namespace,
        labelSelector: `${OWNER_UID_LABEL}=${uid}`,
      })) as KubernetesListObject<ExternalArtifactResource>;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return new Map();
      throw error;
    }
    return new Map(list.items.map((o) => [o.metadata?.name ?? "", o]));
  }

  // Creates it; a name another object already holds is logged and skipped (never taken over).
  private async create(
    bucket: BucketResource,
    want: DesiredExternalArtifact,
  ): Promise<ExternalArtifactResource | undefined> {
    const namespace = bucket.metadata?.namespace ?? "";
    try {
      return (await this.api.createNamespacedCustomObject({
        ...EXTERNAL_ARTIFACT_API,
        namespace,
        body: newExternalArtifact(bucket, want),
      })) as ExternalArtifactResource;
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 409)) throw error;
      const message = `ExternalArtifact ${namespace}/${want.name} exists and is not this Bucket's; not changed`;
      this.options.logger.warn({ bucket: `${namespace}/${bucket.metadata?.name ?? ""}` }, message);
      await this.options.recordEvent(bucket, {
        type: "Warning",
        reason: "ExternalArtifactConflict",
        message,
      });
      return undefined;
    }
  }

  private async delete(namespace: string, name: string, obj: ExternalArtifactResource): Promise<void> {
    try {
      await this.api.deleteNamespacedCustomObject({ ...EXTERNAL_ARTIFACT_API, namespace, name });
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    }
    if (obj.metadata?.labels?.[ROLE_LABEL] === "chart")
      await rm(this.options.store.absolute(externalArtifactDir(namespace, name)), {
        recursive: true,
        force: true,
      });
  }
}
