// Bucket status in Flux's shape: kstatus conditions, artifact record, observed fields.

import { z } from "zod";

export const ConditionSchema = z.object({
  type: z.string().describe("Type of condition in CamelCase, e.g. Ready"),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().describe("Machine-readable reason in CamelCase, e.g. Succeeded"),
  message: z.string().describe("Human-readable detail"),
  lastTransitionTime: z.string().describe("When the status last changed (RFC 3339)"),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;
export type ConditionStatus = Condition["status"];

/** What Flux's consumers read to fetch and verify an artifact. */
export const ArtifactSchema = z.object({
  path: z.string().describe("Path of the artifact relative to the storage root"),
  url: z.string().describe("HTTP address consumers download the artifact from"),
  revision: z.string().describe("sha256:<hex> of the bucket index the artifact was built from"),
  digest: z.string().describe("sha256:<hex> of the tar.gz bytes"),
  lastUpdateTime: z.string().describe("When the artifact was stored (RFC 3339)"),
  size: z.number().int().describe("Size of the tar.gz in bytes"),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

export const BucketStatusSchema = z.object({
  observedGeneration: z.number().int().describe("Last generation reconciled; -1 before the first reconcile"),
  conditions: z.array(ConditionSchema),
  url: z.string().optional().describe("Address of the latest artifact (…/latest.tar.gz)"),
  artifact: ArtifactSchema.optional(),
  observedIgnore: z.string().optional().describe("spec.ignore the artifact was built with"),
  pinned: z
    .object({
      asOf: z
        .string()
        .optional()
        .describe("spec.asOf the artifact was built for (RFC 3339); absent for spec.versions alone"),
      resolvedAt: z
        .string()
        .optional()
        .describe("When the pinned state began: its newest version's time, at or before asOf (RFC 3339)"),
      objects: z.number().int().describe("Objects in the pinned state's artifact"),
      versions: z.number().int().optional().describe("Objects pinned by spec.versions"),
    })
    .optional()
    .describe(
      "Set while the artifact is a pinned past state (spec.asOf / spec.versions) rather than the latest",
    ),
  lastHandledReconcileAt: z
    .string()
    .optional()
    .describe("Last handled reconcile.fluxcd.io/requestedAt value"),
});
export type BucketStatus = z.infer<typeof BucketStatusSchema>;

export const ConditionType = {
  Ready: "Ready",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
  FetchFailed: "FetchFailed",
  StorageOperationFailed: "StorageOperationFailed",
  ArtifactOutdated: "ArtifactOutdated",
  ArtifactInStorage: "ArtifactInStorage",
  /** Flux's name: True when the published state's signature and digests verified (spec.verify), False when not. */
  SourceVerified: "SourceVerified",
} as const;

export const Reason = {
  Succeeded: "Succeeded",
  Progressing: "Progressing",
  ProgressingWithRetry: "ProgressingWithRetry",
  AuthenticationFailed: "AuthenticationFailed",
  BucketOperationFailed: "BucketOperationFailed",
  URLInvalid: "URLInvalid",
  InvalidSpec: "InvalidSpec",
  NewRevision: "NewRevision",
  Suspended: "Suspended",
  DirectoryCreationFailed: "DirectoryCreationFailed",
  ArchiveOperationFailed: "ArchiveOperationFailed",
  StatOperationFailed: "StatOperationFailed",
  InvalidPath: "InvalidPath",
  /** bucketops: the Bucket publishes more than spec.limits or the runtime's limit allows. */
  LimitExceeded: "LimitExceeded",
  /** bucketops: spec.validate refused the content (a manifest that does not parse). */
  ValidationFailed: "ValidationFailed",
  /**
   * bucketops: the listing does not match the index object yet (an upload in progress: an indexed object missing or
   * with other content, a key outside the index with consistency strict, a listing younger than spec.settle).
   */
  WaitingForConsistentUpload: "WaitingForConsistentUpload",
  /** Flux's reason for SourceVerified=False: a missing or invalid signature, or an object that is not what was signed. */
  VerificationError: "VerificationError",
  /** bucketops: without spec.verify, an object's content stayed different from its indexed sha256 (not an upload). */
  DigestMismatch: "DigestMismatch",
  /** bucketops: the index object does not parse (or is too big). */
  InvalidIndex: "InvalidIndex",
  /** bucketops: spec.asOf or spec.versions on a bucket that keeps no versions (enable versioning on it). */
  VersioningNotEnabled: "VersioningNotEnabled",
  /** bucketops: spec.versions names a version the bucket does not have under that key. */
  VersionNotFound: "VersionNotFound",
} as const;

/** The status of a Bucket that has never been reconciled (Flux uses -1 for observedGeneration). */
export function initialStatus(): BucketStatus {
  return { observedGeneration: -1, conditions: [] };
}

/** Returns the condition of `type`, if present. */
export function findCondition(status: BucketStatus, type: string): Condition | undefined {
  return status.conditions.find((c) => c.type === type);
}

/**
 * Sets a condition, keeping lastTransitionTime when the status value did not change (kstatus semantics).
 * Returns a new conditions list; the input is not modified.
 */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): Condition[] {
  const previous = conditions.find((c) => c.type === next.type);
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  const others = conditions.filter((c) => c.type !== next.type);
  return sortConditions([...others, updated]);
}

/** Removes a condition by type. */
export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

// Ready first, then the abnormal-true conditions, as Flux orders them for `kubectl describe`.
const ORDER = [
  ConditionType.Ready,
  ConditionType.Reconciling,
  ConditionType.Stalled,
  ConditionType.FetchFailed,
  ConditionType.StorageOperationFailed,
  ConditionType.ArtifactOutdated,
  ConditionType.ArtifactInStorage,
  ConditionType.SourceVerified,
] as string[];

function sortConditions(conditions: Condition[]): Condition[] {
  const rank = (c: Condition): number => {
    const i = ORDER.indexOf(c.type);
    return i < 0 ? ORDER.length : i;
  };
  return conditions.sort((a, b) => rank(a) - rank(b) || a.type.localeCompare(b.type));
}
