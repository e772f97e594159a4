// reconcile(bucket): spec → credentials → list/ignore/index → fetch changed → tar.gz → store → status.
import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { Limits } from "../api/limits.js";
import { normalizeSpec, type BucketSpec } from "../api/normalize.js";
import { Reason, type Artifact, type BucketStatus } from "../api/status.js";
import {
  ArchiveSourceError,
  writeTarGz,
  type ArchiveResult,
  type SegmentIndex,
  type SortedEntries,
} from "../artifact/tarball.js";
import { resolveConnection, type ConnectionConfig } from "../credentials/resolve.js";
import type { SecretReader } from "../credentials/secret.js";
import { createProvider, type ProviderTuning } from "../providers/index.js";
import type { BucketProvider } from "../providers/types.js";
import { ContentCache } from "../source/content-cache.js";
import { fetchIndex } from "../source/fetch.js";
import { checkLimits, effectiveLimits } from "../source/limits.js";
import type { ObjectChange } from "../source/object-change.js";
import type { ObjectIndex } from "../source/object-index.js";
import { validateManifests } from "../source/validate-manifests.js";
import type { ArtifactStore, BucketRef } from "../storage/artifact-store.js";
import { toReconcileError, type ReconcileError } from "./errors.js";
import { forgetScan, rememberScan, scanStep } from "./source-scan.js";
import { checkStoredArtifact } from "./stored-artifact.js";
import { failed, succeeded } from "./summarize.js";

export const REQUESTED_AT_ANNOTATION = "reconcile.fluxcd.io/requestedAt";
/** Event reason of a stored artifact that failed its check (Flux's source-controller uses the same). */
export const ARTIFACT_DAMAGED = "ArtifactVerificationFailed";

export interface ReconcileInput {
  ref: BucketRef;
  generation: number;
  /** The raw spec as written (v1, v1beta2 or url shorthand). */
  spec: unknown;
  /** Folder relative file:// URLs resolve against. */
  baseDir?: string;
  annotations?: Readonly<Record<string, string>>;
  /** Status from the previous reconcile (initialStatus() for a new Bucket). */
  status: BucketStatus;
  /**
   * Objects bucket events named since the last reconcile; when given, the reconcile may apply them to the last
   * published index instead of listing the prefix. Undefined: a full listing (the interval's safety net).
   */
  changes?: readonly ObjectChange[];
}

export interface EngineDeps {
  store: ArtifactStore;
  readSecret: SecretReader;
  /** Root of the per-Bucket content caches. */
  cacheRoot: string;
  logger: Logger;
  now?: () => Date;
  /** Parallel downloads per Bucket. */
  concurrency: number;
  tuning?: Partial<ProviderTuning>;
  /** Builds providers; replaceable so a runtime can wrap or meter them. */
  providerFactory?: (
    config: ConnectionConfig,
    tuning: ProviderTuning,
  ) => BucketProvider | Promise<BucketProvider>;
  /** The runtime's limits (flags): each the default and the ceiling of a Bucket's spec.limits; DEFAULT_LIMITS if unset. */
  limits?: Partial<Limits>;
  onProgress?: (event: { key: string; bytes: number; cached: boolean; total: number }) => void;
}

export interface EngineEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  annotations?: Record<string, string>;
}

export interface ReconcileStats {
  objects: number;
  listed: number;
  ignored: number;
  downloaded: number;
  cacheHits: number;
  bytesDownloaded: number;
  listRequests: number;
  getRequests: number;
  /** HEAD (metadata) requests: the event-driven scan's stats of changed keys. */
  headRequests: number;
  /** How the source was scanned: "incremental" applied bucket events to the stored scan (no LIST); "full" listed. */
  scan: "incremental" | "full";
  durationMs: number;
}

export type Outcome = "stored" | "unchanged" | "failed" | "stalled" | "suspended";

export interface ReconcileResult {
  outcome: Outcome;
  status: BucketStatus;
  events: EngineEvent[];
  stats: ReconcileStats;
  /** The normalized spec, when it was valid (runtimes schedule on spec.intervalMs). */
  spec?: BucketSpec;
  error?: ReconcileError;
}

export const DEFAULT_TUNING: ProviderTuning = { requestTimeoutMs: 30_000, maxSockets: 64 };

/**
 * Reconciles one Bucket. Never throws for bucket, credential or storage problems: they come back as
 * conditions with Flux's reasons, and the previous artifact stays in status and on disk.
 */
export async function reconcile(input: ReconcileInput, deps: EngineDeps): Promise<ReconcileResult> {
  const started = Date.now();
  const now = deps.now ?? ((): Date => new Date());
  const log = deps.logger.child({ bucket: `${input.ref.namespace}/${input.ref.name}` });
  const stats: ReconcileStats = {
    objects: 0,
    listed: 0,
    ignored: 0,
    downloaded: 0,
    cacheHits: 0,
    bytesDownloaded: 0,
    listRequests: 0,
    getRequests: 0,
    headRequests: 0,
    scan: "full",
    durationMs: 0,
  };
  let status = echoRequestedAt(input.status, input.annotations);
  const finish = (result: Omit<ReconcileResult, "stats">): ReconcileResult => {
    stats.durationMs = Date.now() - started;
    return { ...result, stats };
  };

  let spec: BucketSpec;
  try {
    spec = normalizeSpec(input.spec, input.baseDir);
  } catch (error) {
    const rerr = toReconcileError(error, "source");
    log.warn({ reason: rerr.reason }, rerr.message);
    status = failed(status, {
      generation: input.generation,
      error: rerr,
      artifactPresent: status.artifact !== undefined,
      now: now(),
    });
    return finish({ outcome: "stalled", status, events: [warning(rerr)], error: rerr });
  }
  if (spec.suspend) return finish({ outcome: "suspended", status, events: [], spec });

  const { previous, damaged } = await checkStoredArtifact(deps.store, input.ref, status.artifact);
  // As Flux does: an artifact no longer in storage (missing, or damaged and deleted) leaves status, so no consumer
  // is sent to a URL that cannot serve it if the rebuild fails; a successful rebuild sets it again.
  if (!previous && status.artifact) status = withoutArtifact(status);
  const notices: EngineEvent[] = [];
  if (damaged) {
    log.warn({ reason: ARTIFACT_DAMAGED }, damaged);
    notices.push({ type: "Warning", reason: ARTIFACT_DAMAGED, message: damaged });
  }
  const cache = new ContentCache(path.join(deps.cacheRoot, input.ref.namespace, input.ref.name));
  const signal = AbortSignal.timeout(spec.timeoutMs);
  let provider: BucketProvider | undefined;
  let newRevision: string | undefined;
  let stage: "source" | "storage" = "source";
  let scanned: ObjectIndex | undefined;
  try {
    const connection = await resolveConnection(spec, input.ref.namespace, deps.readSecret);
    const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
    provider = await (deps.providerFactory ?? createProvider)(connection, tuning);
    const scan = await scanStep(provider, cache, spec, input.changes, signal, log);
    scanned = scan.index;
    Object.assign(stats, {
      objects: scan.index.size,
      listed: scan.listed,
      ignored: scan.ignored,
      scan: scan.mode,
    });
    checkLimits(scan.index, scan.index.size, effectiveLimits(spec.limits, deps.limits));
    const revision = scan.index.revision();

    if (previous && previous.revision === revision && status.observedIgnore === spec.ignore) {
      status = succeeded(status, {
        generation: input.generation,
        artifact: previous,
        url: deps.store.latestUrl(input.ref),
        ignore: spec.ignore,
        now: now(),
      });
      log.debug({ revision }, "no change");
      await rememberScan(cache, spec, scan, log);
      return finish({ outcome: "unchanged", status, events: [], spec });
    }
    if (previous?.revision !== revision) newRevision = revision;

    const total = scan.index.size;
    const fetched = await fetchIndex(scan.index, provider, cache, {
      concurrency: deps.concurrency,
      signal,
      onObject: deps.onProgress ? (e) => deps.onProgress?.({ ...e, total }) : undefined,
    });
    Object.assign(stats, fetched);
    // spec.validate: a state with a manifest that does not parse is never archived; the previous artifact stays.
    if (spec.validate === "manifests") await validateManifests(scan.index, cache);

    stage = "storage";
    // Building while downloading was tried: no faster on 10,000 small objects (the CPU is busy either way), and
    // slower with a higher peak RSS on big ones (the build's reads compete with the downloads' writes).
    await cache.open();
    // Read from the packed index by position as the archive is planned and written: no array of entries.
    const index = scan.index;
    const entries: SortedEntries = {
      length: index.size,
      at: (i) => {
        const name = index.keyAt(i);
        const etag = index.etagAt(i);
        const { file, offset } = cache.locate(name, etag);
        return { name, file, offset, size: index.sizeAt(i), contentId: etag }; // one content per (key, etag)
      },
    };
    // The previous artifact's unchanged segments are copied rather than compressed again (see artifact/tarball).
    const indexFile = cache.metaPath("artifact-index.json");
    const previousIndex = previous ? await readSegmentIndex(indexFile) : undefined;
    const reuse =
      previous && previousIndex?.digest === previous.digest
        ? { file: deps.store.absolute(previous.path), index: previousIndex }
        : undefined;
    let built: ArchiveResult | undefined;
    await forgetScan(cache, log); // a crash between the store and rememberScan must not leave the old base
    const artifact: Artifact = await deps.store.put(input.ref, revision, async (tmp) => {
      built = await writeTarGz(entries, tmp, { previous: reuse });
      return built;
    });
    if (built) await writeSegmentIndex(indexFile, built.index);
    await deps.store.gc(input.ref, artifact);
    await cache.prune(keptObjects(scan.index, scan.ignoreFiles));
    await rememberScan(cache, spec, scan, log);

    status = succeeded(status, {
      generation: input.generation,
      artifact,
      url: deps.store.latestUrl(input.ref),
      ignore: spec.ignore,
      now: now(),
    });
    const events: EngineEvent[] = [...notices];
    if (previous?.digest !== artifact.digest) {
      events.push({
        type: "Normal",
        reason: "NewArtifact",
        message: `stored artifact with ${total} fetched files from '${spec.bucketName}' bucket`,
        annotations: {
          "source.toolkit.fluxcd.io/revision": artifact.revision,
          "source.toolkit.fluxcd.io/digest": artifact.digest,
        },
      });
    }
    log.info(
      {
        revision,
        digest: artifact.digest,
        ...fetched,
        objects: total,
        segmentsReused: built?.reused,
        segmentsCompressed: built?.compressed,
      },
      "stored artifact",
    );
    return finish({ outcome: "stored", status, events, spec });
  } catch (error) {
    if (error instanceof ArchiveSourceError) await evictDamaged(cache, error, scanned, log);
    await forgetScan(cache, log);
    const rerr = toReconcileError(error, stage);
    log.warn({ reason: rerr.reason }, rerr.message);
    status = failed(status, {
      generation: input.generation,
      error: rerr,
      newRevision,
      artifactPresent: previous !== undefined,
      now: now(),
    });
    return finish({
      outcome: rerr.policy === "stall" ? "stalled" : "failed",
      status,
      events: [...notices, warning(rerr)],
      spec,
      error: rerr,
    });
  } finally {
    if (provider) {
      stats.listRequests = provider.requests.list;
      stats.getRequests = provider.requests.get;
      stats.headRequests = provider.requests.head;
      provider.close();
    }
  }
}

/** Self-healing: a cached object found damaged while archiving is dropped, so the next reconcile fetches it. */
async function evictDamaged(
  cache: ContentCache,
  error: ArchiveSourceError,
  index: ObjectIndex | undefined,
  log: Logger,
): Promise<void> {
  if (error.contentId === undefined) return;
  try {
    await cache.evict(error.entryName, error.contentId);
    // The others that lost bytes too (a truncated pack holds many), so the next reconcile heals them all at once.
    const others = index ? await cache.evictTruncated(keptObjects(index, [])) : 0;
    await cache.flush();
    log.warn(
      { key: error.entryName, others },
      "damaged content cache entries dropped; the next reconcile downloads them again",
    );
  } catch (evictError) {
    log.warn({ key: error.entryName, err: evictError }, "could not drop a damaged content cache entry");
  }
}

/** What the cache keeps: the index's objects and the .sourceignore files, one at a time. */
function* keptObjects(
  index: ObjectIndex,
  ignoreFiles: readonly { key: string; etag: string }[],
): Generator<{ key: string; etag: string }> {
  for (let i = 0; i < index.size; i++) yield { key: index.keyAt(i), etag: index.etagAt(i) };
  yield* ignoreFiles;
}

async function readSegmentIndex(file: string): Promise<SegmentIndex | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as SegmentIndex;
  } catch {
    return undefined; // none yet, or unreadable: the artifact is built from scratch
  }
}

/** Best effort: without it the next artifact is built from scratch. */
async function writeSegmentIndex(file: string, index: SegmentIndex): Promise<void> {
  const tmp = path.join(path.dirname(file), `.tmp-${randomBytes(8).toString("hex")}`); // pruned if left behind
  try {
    await writeFile(tmp, JSON.stringify(index));
    await rename(tmp, file);
  } catch {
    // ignored
  }
}

function withoutArtifact(status: BucketStatus): BucketStatus {
  const rest = { ...status };
  delete rest.artifact;
  delete rest.url;
  return rest;
}

function warning(error: ReconcileError): EngineEvent {
  return { type: "Warning", reason: error.reason, message: error.message };
}

function echoRequestedAt(
  status: BucketStatus,
  annotations: Readonly<Record<string, string>> | undefined,
): BucketStatus {
  const requestedAt = annotations?.[REQUESTED_AT_ANNOTATION];
  return requestedAt === undefined ? status : { ...status, lastHandledReconcileAt: requestedAt };
}

export { Reason };
