// Limits on what one Bucket may publish: checked right after the listing, before anything is downloaded.

/** Effective limits of one reconcile; sizes in bytes. */
export interface Limits {
  /** Largest object. */
  maxObjectSize: number;
  /** Sum of all published objects' sizes. */
  maxTotalSize: number;
  /** Number of published objects. */
  maxObjects: number;
}

export type LimitName = keyof Limits;

/**
 * The runtime's limits when no flag sets them: 5 GiB is S3's largest single upload, 20 GiB a bucket (the store keeps
 * two artifacts beside the content cache, so about three times that on disk), and a million objects is the scale the
 * shipped memory limit is measured for.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxObjectSize: 5 * 2 ** 30,
  maxTotalSize: 20 * 2 ** 30,
  maxObjects: 1_000_000,
};
