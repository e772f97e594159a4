// Step: list the prefix into the index of what the Bucket publishes, and check it against the limits.
import { checkLimits, effectiveLimits } from "../../source/limits.js";
import type { ObjectIndex } from "../../source/object-index.js";
import { indexObjectKey } from "../../publish/index-object.js";
import { scanSource } from "../../source/incremental-scan.js";
import type { ScanResult } from "../../source/scan.js";
import type { StepContext } from "./context.js";
import type { Connected } from "./connect.js";
import { controlFolder, type GateInfo } from "../gate/gate-info.js";
import type { PinnedInfo } from "./pinned-info.js";
import { scanOptions } from "./scan-memory.js";

export interface Scanned extends Connected {
  scan: ScanResult;
  /** The objects the artifact is built from. */
  index: ObjectIndex;
  /** Flux's revision of `index`. */
  revision: string;
  /** Set by the gate step. */
  gate?: GateInfo;
  /** Set by the pinned scan (scan-pinned) instead of this one: the past state the artifact stands for. */
  pinned?: PinnedInfo;
}

/**
 * Lists and filters the prefix, or, when bucket events named the changes (input.changes) and the last published
 * scan is stored, applies them to it with a stat per key (see source/incremental-scan: whatever it cannot apply
 * exactly, it lists). Throws ProviderError, UnsafeKeyError, KeyConflictError or LimitExceededError.
 */
export async function scanStep(ctx: StepContext, source: Connected): Promise<Scanned> {
  const { spec, provider, cache, signal } = source;
  const changes = ctx.input.changes;
  const scan = await scanSource(provider, cache, {
    ...scanOptions(spec),
    signal,
    changes,
    listingKeys: [indexObjectKey(spec.prefix)], // one event for a push's index stands for the whole push
    controlFolder: controlFolder(spec), // the index object's folder: never published
  });
  ctx.stats.scan = scan.mode;
  if (scan.fallback !== undefined)
    ctx.log.info({ scan: scan.mode, reason: scan.fallback }, "events not applied: listed");
  else if (changes) ctx.log.debug({ scan: scan.mode, changes: changes.length }, "scanned");
  return indexed(ctx, source, scan, scan.index);
}

/** The common end of the scan (and of any step that replaces it): stats, the trail, limits and the revision. */
export function indexed(ctx: StepContext, source: Connected, scan: ScanResult, index: ObjectIndex): Scanned {
  ctx.trail.scanned = index;
  Object.assign(ctx.stats, { objects: index.size, listed: scan.listed, ignored: scan.ignored });
  checkLimits(index, index.size, effectiveLimits(source.spec.limits, ctx.deps.limits));
  const revision = index.revision();
  if (ctx.trail.previous?.revision !== revision) ctx.trail.newRevision = revision;
  return { ...source, scan, index, revision };
}
