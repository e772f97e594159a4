// Step (instead of the scan): a pinned Bucket's state — spec.asOf and/or spec.versions — from the bucket's versions.
// Bucket events are not applied (the past does not change with them); every interval lists the versions again,
// one listing like a live scan's, so a version deleted from the bucket is noticed; an unchanged state costs no GET.
import type { BucketSpec } from "../../api/normalize.js";
import { ProviderError } from "../../providers/types.js";
import { cachedVersionReader } from "../../source/history-content.js";
import { pinnedProvider } from "../../source/history-provider.js";
import { LATEST } from "../../source/history-ref.js";
import { stateAt } from "../../source/history-state.js";
import { loadVersions } from "../../source/history-versions.js";
import { controlFolder } from "../gate/gate-info.js";
import type { Connected } from "./connect.js";
import type { StepContext } from "./context.js";
import type { PinnedInfo } from "./pinned-info.js";
import { indexed, type Scanned } from "./scan.js";

/** Whether the spec pins the Bucket to a past state (spec.asOf or spec.versions). */
export function isPinned(spec: BucketSpec): boolean {
  return spec.asOf !== undefined || spec.versions !== undefined;
}

/**
 * The state of the prefix at spec.asOf (or the latest, with spec.versions over it), filtered as a live scan is;
 * the provider it passes on GETs each key's version of that state. Throws ProviderError "NotVersioned" (Stalled,
 * VersioningNotEnabled) when the bucket keeps no versions, VersionNotFoundError for a spec.versions entry the
 * bucket lacks, and what a scan throws.
 */
export async function pinnedScanStep(
  ctx: StepContext,
  source: Connected,
): Promise<Scanned & { pinned: PinnedInfo }> {
  const { spec, provider, cache, signal } = source;
  const versioning = await provider.versioning(signal);
  if (versioning === "disabled")
    throw new ProviderError(
      "NotVersioned",
      `${spec.asOf !== undefined ? "spec.asOf" : "spec.versions"} needs object versioning, which bucket '${spec.bucketName}' does not keep: enable versioning on the bucket (then only states written after that can be pinned), or remove the pin`,
    );
  const table = await loadVersions(provider, spec.prefix, signal);
  const at = spec.asOf === undefined ? LATEST : new Date(spec.asOf);
  const state = await stateAt(table, at, cachedVersionReader(provider, cache, signal), {
    ignore: spec.ignore,
    controlFolder: controlFolder(spec),
    versions: spec.versions,
  });
  ctx.stats.scan = "pinned";
  const pinned: PinnedInfo = { objects: state.index.size };
  if (spec.asOf !== undefined) pinned.asOf = spec.asOf;
  if (state.resolvedAt) pinned.resolvedAt = state.resolvedAt.toISOString();
  if (spec.versions) pinned.versions = Object.keys(spec.versions).length;
  ctx.log.debug({ asOf: spec.asOf, resolvedAt: pinned.resolvedAt, versions: table.count }, "pinned scan");
  const scanned = indexed(
    ctx,
    { ...source, provider: pinnedProvider(provider, state.versionIds) },
    state,
    state.index,
  );
  return { ...scanned, pinned };
}
