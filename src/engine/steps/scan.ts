// Step: list the prefix into the index of what the Bucket publishes, and check it against the limits.
import { checkLimits, effectiveLimits } from "../../source/limits.js";
import type { ObjectIndex } from "../../source/object-index.js";
import { scanBucket, type ScanResult } from "../../source/scan.js";
import type { StepContext } from "./context.js";
import type { Connected } from "./connect.js";
import { controlFolder, type GateInfo } from "../gate/gate-info.js";

export interface Scanned extends Connected {
  scan: ScanResult;
  /** The objects the artifact is built from. */
  index: ObjectIndex;
  /** Flux's revision of `index`. */
  revision: string;
  /** Set by the gate step. */
  gate?: GateInfo;
}

/** Lists and filters the prefix. Throws ProviderError, UnsafeKeyError, KeyConflictError or LimitExceededError. */
export async function scanStep(ctx: StepContext, source: Connected): Promise<Scanned> {
  const { spec, provider, cache, signal } = source;
  const scan = await scanBucket(provider, cache, {
    prefix: spec.prefix,
    ignore: spec.ignore,
    signal,
    controlFolder: controlFolder(spec), // the index object's folder: never published
  });
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
