// The stored scan the event-driven scan applies bucket events to: kept after each published state, dropped
// before an artifact is replaced and after a failure.
import type { Logger } from "pino";
import type { BucketSpec } from "../../api/normalize.js";
import type { ContentCache } from "../../source/content-cache.js";
import { scanSettings } from "../../source/incremental-scan.js";
import type { ScanResult } from "../../source/scan.js";
import { removeScanState, scanStatePath, writeScanState } from "../../source/scan-state.js";

/**
 * Keeps `scan` as the base the next event-driven reconcile applies its changes to: call it once the state it
 * scanned is published (stored, or found unchanged). Best effort: when it cannot be written, the old one is
 * removed, so the next event lists rather than applying to a stale base.
 */
export async function rememberScan(
  cache: ContentCache,
  spec: BucketSpec,
  scan: ScanResult,
  log: Logger,
): Promise<void> {
  const file = scanStatePath((name) => cache.metaPath(name));
  try {
    await writeScanState(file, {
      settings: scanSettings(scanOptions(spec)),
      ignoreLayers: scan.ignoreLayers,
      ignoreFiles: scan.ignoreFiles,
      control: scan.control,
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

/**
 * The settings a stored scan must match: what names the bucket, the prefix and spec.ignore; and a pin (spec.asOf,
 * spec.versions), so events of the live bucket are never applied to a pinned state's scan.
 */
export function scanOptions(spec: BucketSpec): { source: string; prefix: string; ignore?: string } {
  const names = [spec.provider, spec.endpoint ?? "", spec.region ?? "", spec.bucketName];
  const pin =
    spec.asOf === undefined && spec.versions === undefined
      ? []
      : [{ asOf: spec.asOf, versions: spec.versions }];
  const source = JSON.stringify([...names, ...pin]);
  return spec.ignore === undefined
    ? { source, prefix: spec.prefix }
    : { source, prefix: spec.prefix, ignore: spec.ignore };
}
