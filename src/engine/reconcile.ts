// reconcile(bucket): a list of steps (spec → storage → connect → scan → gate → fetch →
// digests → validate → archive → publish), each returning
// its result or throwing; the status is written once, at the end, from the result or the classified error.
import { Reason, type BucketStatus } from "../api/status.js";
import { ArchiveSourceError } from "../artifact/tarball.js";
import { toReconcileError, type ReconcileError } from "./errors.js";
import { archiveStep, evictDamaged } from "./steps/archive.js";
import { connectStep } from "./steps/connect.js";
import { digestsStep } from "./steps/digests.js";
import { gateStep } from "./steps/gate.js";
import type { StepContext } from "./steps/context.js";
import { fetchStep } from "./steps/fetch.js";
import { isUnchanged, publishStep, publishUnchanged, type Published } from "./steps/publish.js";
import { scanStep } from "./steps/scan.js";
import { isPinned, pinnedScanStep } from "./steps/scan-pinned.js";
import { forgetScan } from "./steps/scan-memory.js";
import { specStep } from "./steps/spec.js";
import { storageStep } from "./steps/storage.js";
import { validateStep } from "./steps/validate.js";
import { failed } from "./summarize.js";
import type { EngineDeps, EngineEvent, ReconcileInput, ReconcileResult, ReconcileStats } from "./types.js";

export type {
  EngineDeps,
  EngineEvent,
  Outcome,
  ReconcileInput,
  ReconcileResult,
  ReconcileStats,
} from "./types.js";
export { DEFAULT_TUNING } from "./steps/connect.js";
export { ARTIFACT_DAMAGED } from "./steps/storage.js";

export const REQUESTED_AT_ANNOTATION = "reconcile.fluxcd.io/requestedAt";

/**
 * Reconciles one Bucket. Never throws for bucket, credential or storage problems: they come back as
 * conditions with Flux's reasons, and the previous artifact stays in status and on disk.
 */
export async function reconcile(input: ReconcileInput, deps: EngineDeps): Promise<ReconcileResult> {
  const started = Date.now();
  const ctx: StepContext = {
    input,
    deps,
    log: deps.logger.child({ bucket: `${input.ref.namespace}/${input.ref.name}` }),
    now: deps.now ?? ((): Date => new Date()),
    stats: emptyStats(),
    notices: [],
    trail: { stage: "source" },
  };
  const finish = (result: Published): ReconcileResult => {
    ctx.stats.durationMs = Date.now() - started;
    return { ...result, stats: ctx.stats };
  };
  const status = echoRequestedAt(input.status, input.annotations);

  let spec;
  try {
    spec = await specStep(ctx);
  } catch (error) {
    return finish(failure(ctx, status, toReconcileError(error, "source"), status.artifact !== undefined));
  }
  if (spec.suspend) return finish({ outcome: "suspended", status, events: [], spec });

  await storageStep(ctx);
  const base = current(ctx, status);
  try {
    const connected = await connectStep(ctx, spec);
    const scan = isPinned(spec) ? pinnedScanStep : scanStep; // a pinned Bucket's events are not applied
    const scanned = await gateStep(ctx, await scan(ctx, connected));
    if (isUnchanged(ctx, scanned)) return finish(await publishUnchanged(ctx, scanned, base));
    const fetched = await digestsStep(ctx, await fetchStep(ctx, scanned));
    const archived = await archiveStep(ctx, await validateStep(ctx, fetched));
    return finish(await publishStep(ctx, archived, base));
  } catch (error) {
    const { cache, scanned } = ctx.trail;
    if (error instanceof ArchiveSourceError && cache) await evictDamaged(cache, error, scanned, ctx.log);
    if (cache) await forgetScan(cache, ctx.log); // the events this reconcile was given are spent: list next time
    const rerr = toReconcileError(error, ctx.trail.stage);
    return finish({ ...failure(ctx, base, rerr, ctx.trail.previous !== undefined), spec });
  } finally {
    const provider = ctx.trail.provider;
    if (provider) {
      ctx.stats.listRequests = provider.requests.list;
      ctx.stats.getRequests = provider.requests.get;
      ctx.stats.headRequests = provider.requests.head;
      provider.close();
    }
  }
}

/** The status a failed reconcile reports: the last good artifact kept, the error's condition and reason. */
function failure(
  ctx: StepContext,
  status: BucketStatus,
  rerr: ReconcileError,
  artifactPresent: boolean,
): Published {
  // Once, where it is seen: in the runtimes' logs, or (one-shot CLI) in the caller's error line.
  if (ctx.deps.callerReportsFailure) ctx.log.debug({ reason: rerr.reason }, rerr.message);
  else ctx.log.warn({ reason: rerr.reason }, rerr.message);
  const next = failed(status, {
    generation: ctx.input.generation,
    error: rerr,
    newRevision: ctx.trail.newRevision,
    artifactPresent,
    now: ctx.now(),
  });
  const result: Published = {
    outcome: rerr.policy === "stall" ? "stalled" : "failed",
    status: next,
    events: [...ctx.notices, warning(rerr)],
    error: rerr,
  };
  if (rerr.retryAfterMs !== undefined) result.retryAfterMs = rerr.retryAfterMs;
  return result;
}

/**
 * As Flux does: an artifact no longer in storage (missing, or damaged and deleted) leaves status, so no consumer is
 * sent to a URL that cannot serve it if the rebuild fails; a successful rebuild sets it again.
 */
function current(ctx: StepContext, status: BucketStatus): BucketStatus {
  // storageStep has run: the trail's previous is the intact stored artifact, if any.
  if (ctx.trail.previous || !status.artifact) return status;
  const rest = { ...status };
  delete rest.artifact;
  delete rest.url;
  return rest;
}

function emptyStats(): ReconcileStats {
  return {
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
}

/** The failure's event: an upload still in progress is news, not a fault (it becomes one after the grace). */
function warning(error: ReconcileError): EngineEvent {
  const type = error.reason === Reason.WaitingForConsistentUpload ? "Normal" : "Warning";
  return { type, reason: error.reason, message: error.message };
}

function echoRequestedAt(
  status: BucketStatus,
  annotations: Readonly<Record<string, string>> | undefined,
): BucketStatus {
  const requestedAt = annotations?.[REQUESTED_AT_ANNOTATION];
  return requestedAt === undefined ? status : { ...status, lastHandledReconcileAt: requestedAt };
}

export { Reason };
