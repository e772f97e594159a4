// Turns a reconcile outcome into status conditions (kstatus), written once at the end of a reconcile.
import {
  ConditionType as T,
  Reason,
  removeCondition,
  setCondition,
  type Artifact,
  type BucketStatus,
  type Condition,
} from "../api/status.js";
import type { ReconcileError } from "./errors.js";

/** Marks a reconcile as started: Reconciling=True, Ready=Unknown (what `kubectl wait` and kstatus read). */
export function beginReconcile(status: BucketStatus, generation: number, now: Date): BucketStatus {
  let conditions = setCondition(
    status.conditions,
    {
      type: T.Reconciling,
      status: "True",
      reason: Reason.Progressing,
      message: "reconciliation in progress",
      observedGeneration: generation,
    },
    now,
  );
  if (!conditions.some((c) => c.type === T.Ready && c.status === "False")) {
    conditions = setCondition(
      conditions,
      {
        type: T.Ready,
        status: "Unknown",
        reason: Reason.Progressing,
        message: "reconciliation in progress",
        observedGeneration: generation,
      },
      now,
    );
  }
  return { ...status, conditions };
}

/** Status after a reconcile that stored (or kept) `artifact` for the current spec. */
export function succeeded(
  status: BucketStatus,
  args: {
    generation: number;
    artifact: Artifact;
    url: string;
    ignore: string | undefined;
    /** The keyId of the signature the state verified with (spec.verify); SourceVerified is dropped without. */
    verifiedBy?: string | undefined;
    /** The past state a pinned Bucket's artifact stands for (status.pinned); absent for the latest state. */
    pinned?: NonNullable<BucketStatus["pinned"]> | undefined;
    now: Date;
  },
): BucketStatus {
  const { generation, artifact, now, pinned } = args;
  let conditions: Condition[] = status.conditions;
  for (const type of [
    T.Reconciling,
    T.Stalled,
    T.FetchFailed,
    T.StorageOperationFailed,
    T.ArtifactOutdated,
  ]) {
    conditions = removeCondition(conditions, type);
  }
  const message = `stored artifact for revision '${artifact.revision}'${pinned ? pinnedSuffix(pinned) : ""}`;
  conditions = setCondition(
    conditions,
    {
      type: T.ArtifactInStorage,
      status: "True",
      reason: Reason.Succeeded,
      message,
      observedGeneration: generation,
    },
    now,
  );
  conditions = setCondition(
    conditions,
    { type: T.Ready, status: "True", reason: Reason.Succeeded, message, observedGeneration: generation },
    now,
  );
  if (args.verifiedBy === undefined) conditions = removeCondition(conditions, T.SourceVerified);
  else {
    conditions = setCondition(
      conditions,
      {
        type: T.SourceVerified,
        status: "True",
        reason: Reason.Succeeded,
        message: `verified signature of revision '${artifact.revision}' with key '${args.verifiedBy}'`,
        observedGeneration: generation,
      },
      now,
    );
  }
  const next: BucketStatus = {
    ...status,
    observedGeneration: generation,
    conditions,
    artifact,
    url: args.url,
  };
  if (args.ignore === undefined) delete next.observedIgnore;
  else next.observedIgnore = args.ignore;
  if (pinned === undefined) delete next.pinned;
  else next.pinned = pinned;
  return next;
}

/** " as of <resolved time> (N objects)", and how many keys spec.versions pinned. */
function pinnedSuffix(pinned: NonNullable<BucketStatus["pinned"]>): string {
  const when = pinned.resolvedAt ?? pinned.asOf;
  const asOf = when === undefined ? "" : ` as of ${when}`;
  const versions = pinned.versions === undefined ? "" : `, ${pinned.versions} pinned by spec.versions`;
  return `${asOf} (${pinned.objects} object${pinned.objects === 1 ? "" : "s"}${versions})`;
}

/**
 * Status after a failure. The artifact (the last good one) is kept. A stalling error sets Stalled and observes the
 * generation; a retryable one keeps Reconciling=True (ProgressingWithRetry) so kstatus reports "in progress".
 */
export function failed(
  status: BucketStatus,
  args: {
    generation: number;
    error: ReconcileError;
    newRevision?: string;
    artifactPresent: boolean;
    now: Date;
  },
): BucketStatus {
  const { generation, error, now } = args;
  let conditions: Condition[] = status.conditions;
  const stalled = error.policy === "stall";
  if (stalled) {
    conditions = removeCondition(conditions, T.Reconciling);
    conditions = setCondition(
      conditions,
      {
        type: T.Stalled,
        status: "True",
        reason: error.reason,
        message: error.message,
        observedGeneration: generation,
      },
      now,
    );
  } else {
    conditions = removeCondition(conditions, T.Stalled);
    conditions = setCondition(
      conditions,
      {
        type: T.Reconciling,
        status: "True",
        reason: Reason.ProgressingWithRetry,
        message: `retrying after failure: ${error.reason}`,
        observedGeneration: generation,
      },
      now,
    );
    conditions = setCondition(
      conditions,
      {
        type: error.condition,
        // SourceVerified is a positive condition (Flux's): its failure is False; the others are abnormal-true.
        status: error.condition === T.SourceVerified ? "False" : "True",
        reason: error.reason,
        message: error.message,
        observedGeneration: generation,
      },
      now,
    );
  }
  if (args.newRevision !== undefined) {
    conditions = setCondition(
      conditions,
      {
        type: T.ArtifactOutdated,
        status: "True",
        reason: Reason.NewRevision,
        message: `new upstream revision '${args.newRevision}'`,
        observedGeneration: generation,
      },
      now,
    );
  }
  if (!args.artifactPresent) {
    conditions = setCondition(
      conditions,
      {
        type: T.ArtifactInStorage,
        status: "False",
        reason: error.reason,
        message: "no artifact in storage",
        observedGeneration: generation,
      },
      now,
    );
  }
  conditions = setCondition(
    conditions,
    {
      type: T.Ready,
      status: "False",
      reason: error.reason,
      message: error.message,
      observedGeneration: generation,
    },
    now,
  );
  return { ...status, observedGeneration: stalled ? generation : status.observedGeneration, conditions };
}
