// The reconcile's scan step: the event-driven incremental scan when bucket events named the changes, a listing
// otherwise; and the stored scan it needs, kept after each published state and dropped after a failure.
import type { Logger } from "pino";
import type { BucketSpec } from "../api/normalize.js";
import type { BucketProvider } from "../providers/types.js";
import { indexObjectKey } from "../publish/index-object.js";
import type { ContentCache } from "../source/content-cache.js";
import { scanSettings, scanSource, type SourceScan } from "../source/incremental-scan.js";
import type { ObjectChange } from "../source/object-change.js";
import { removeScanState, scanStatePath, writeScanState } from "../source/scan-state.js";

/**
 * Scans the Bucket's source: applies `changes` to the stored scan when it can, lists the prefix otherwise (see
 * scanSource). Throws what the listing throws.
 */
export async function scanStep(
  provider: BucketProvider,
  cache: ContentCache,
  spec: BucketSpec,
  changes: readonly ObjectChange[] | undefined,
  signal: AbortSignal,
  log: Logger,
): Promise<SourceScan> {
  const scan = await scanSource(provider, cache, {
    ...options(spec),
    signal,
    changes,
    listingKeys: [indexObjectKey(spec.prefix)],
  });
  if (scan.fallback !== undefined)
    log.info({ scan: scan.mode, reason: scan.fallback }, "events not applied: listed");
  else log.debug({ scan: scan.mode, changes: changes?.length }, "scanned");
  return scan;
}

/**
 * Keeps `scan` as the base the next event-driven reconcile applies its changes to: call it once the state it
 * scanned is published (stored, or found unchanged). Best effort: when it cannot be written, the old one is
 * removed, so the next event lists rather than applying to a stale base.
 */
export async function rememberScan(
  cache: ContentCache,
  spec: BucketSpec,
  scan: SourceScan,
  log: Logger,
): Promise<void> {
  const file = scanStatePath((name) => cache.metaPath(name));
  try {
    await writeScanState(file, {
      settings: scanSettings(options(spec)),
      ignoreLayers: scan.ignoreLayers,
      ignoreFiles: scan.ignoreFiles,
      index: scan.index,
    });
  } catch (error) {
    log.warn({ err: error }, "could not store the scan for event-driven reconciles; the next one lists");
    await forgetScan(cache, log);
  }
}

/**
 * Drops the stored scan after a reconcile that published nothing: the events it was given are spent, so the next
 * reconcile must list rather than apply later events to a base that misses these.
 */
export async function forgetScan(cache: ContentCache, log: Logger): Promise<void> {
  try {
    await removeScanState(scanStatePath((name) => cache.metaPath(name)));
  } catch (error) {
    log.warn({ err: error }, "could not remove the stored scan");
  }
}

/** The settings a stored scan must match: what names the bucket, the prefix and spec.ignore. */
function options(spec: BucketSpec): { source: string; prefix: string; ignore?: string } {
  const source = JSON.stringify([spec.provider, spec.endpoint ?? "", spec.region ?? "", spec.bucketName]);
  return spec.ignore === undefined
    ? { source, prefix: spec.prefix }
    : { source, prefix: spec.prefix, ignore: spec.ignore };
}
