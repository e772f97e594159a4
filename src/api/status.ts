// Bucket status in Flux's shape: kstatus conditions, artifact record, observed fields.

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** What Flux's consumers read to fetch and verify an artifact. */
export interface Artifact {
  path: string;
  url: string;
  revision: string;
  digest: string;
  lastUpdateTime: string;
  size: number;
}

export interface BucketStatus {
  observedGeneration: number;
  conditions: Condition[];
  url?: string;
  artifact?: Artifact;
  observedIgnore?: string;
  lastHandledReconcileAt?: string;
}

export const ConditionType = {
  Ready: "Ready",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
  FetchFailed: "FetchFailed",
  StorageOperationFailed: "StorageOperationFailed",
  ArtifactOutdated: "ArtifactOutdated",
  ArtifactInStorage: "ArtifactInStorage",
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
] as string[];

function sortConditions(conditions: Condition[]): Condition[] {
  const rank = (c: Condition): number => {
    const i = ORDER.indexOf(c.type);
    return i < 0 ? ORDER.length : i;
  };
  return conditions.sort((a, b) => rank(a) - rank(b) || a.type.localeCompare(b.type));
}
