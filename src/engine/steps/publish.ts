// Step: the status and events of a reconcile that stored (or kept) an artifact — written once, here.
import type { Artifact } from "../../api/status.js";
import { succeeded } from "../summarize.js";
import type { ReconcileResult } from "../types.js";
import type { Archived } from "./archive.js";
import type { StepContext } from "./context.js";
import { recordPublished } from "./gate.js";
import { rememberScan } from "./scan-memory.js";
import type { Scanned } from "./scan.js";

/** The result without stats (added by the caller), for a state whose artifact is stored. */
export type Published = Omit<ReconcileResult, "stats">;

/**
 * Whether the stored artifact already holds this state (same revision, same spec.ignore, and, when an index gated
 * it, checked against this same index object): nothing to fetch or build.
 */
export function isUnchanged(ctx: StepContext, state: Scanned): boolean {
  const previous = ctx.trail.previous;
  const index = state.gate?.index;
  return (
    previous !== undefined &&
    previous.revision === state.revision &&
    ctx.input.status.observedIgnore === state.spec.ignore &&
    (index === undefined || state.gate?.state.publishedIndex === index.etag)
  );
}

/** Status for an unchanged state: Ready with the stored artifact. */
export async function publishUnchanged(
  ctx: StepContext,
  state: Scanned,
  base: Published["status"],
): Promise<Published> {
  const artifact = ctx.trail.previous as Artifact; // isUnchanged checked it
  await recordPublished(state.gate);
  await rememberScan(state.cache, state.spec, state.scan, ctx.log);
  ctx.log.debug({ revision: state.revision }, "no change");
  return {
    outcome: "unchanged",
    status: readyWith(ctx, state, artifact, base),
    events: [],
    spec: state.spec,
  };
}

/** Status and events for a newly stored artifact (NewArtifact when its digest differs from the previous one). */
export async function publishStep(
  ctx: StepContext,
  state: Archived,
  base: Published["status"],
): Promise<Published> {
  await recordPublished(state.gate);
  const { artifact, built, fetched, spec, revision } = state;
  const total = state.index.size;
  const events = [...ctx.notices];
  if (ctx.trail.previous?.digest !== artifact.digest) {
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
  ctx.log.info(
    {
      revision,
      digest: artifact.digest,
      ...fetched,
      objects: total,
      segmentsReused: built?.reused,
      segmentsCompressed: built?.compressed,
      verifiedBy: state.gate?.keyId,
    },
    "stored artifact",
  );
  return { outcome: "stored", status: readyWith(ctx, state, artifact, base), events, spec };
}

function readyWith(
  ctx: StepContext,
  state: Scanned,
  artifact: Artifact,
  base: Published["status"],
): Published["status"] {
  return succeeded(base, {
    generation: ctx.input.generation,
    artifact,
    url: ctx.deps.store.latestUrl(ctx.input.ref),
    ignore: state.spec.ignore,
    verifiedBy: state.gate?.keyId,
    pinned: state.pinned,
    now: ctx.now(),
  });
}
