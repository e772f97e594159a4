// Every failure becomes one typed ReconcileError: which condition it sets, Flux's reason, and the retry policy.
import { SpecError } from "../api/errors.js";
import { ConditionType, Reason } from "../api/status.js";
import { CredentialsError } from "../credentials/secret.js";
import { ProviderError } from "../providers/types.js";
import { IndexFormatError } from "../publish/index-object.js";
import { VersionNotFoundError } from "../source/history-state.js";
import { KeyConflictError } from "../source/key-set.js";
import { LimitExceededError } from "../source/limits.js";
import { UnsafeKeyError } from "../source/safe-key.js";
import { ManifestValidationError } from "../source/validate-manifests.js";
import { ConsistencyWait, ContentMismatchError, VerificationFailedError } from "./gate/errors.js";

/** stall: the spec must change first; retry: try again after a backoff. */
export type ErrorPolicy = "stall" | "retry";

export class ReconcileError extends Error {
  override readonly name = "ReconcileError";
  readonly condition:
    | typeof ConditionType.FetchFailed
    | typeof ConditionType.StorageOperationFailed
    | typeof ConditionType.Stalled
    | typeof ConditionType.SourceVerified;
  readonly reason: string;
  readonly policy: ErrorPolicy;
  /** A retry sooner than the runtime's failure backoff (waiting for a consistent upload). */
  readonly retryAfterMs: number | undefined;
  constructor(
    condition: ReconcileError["condition"],
    reason: string,
    policy: ErrorPolicy,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.condition = condition;
    this.reason = reason;
    this.policy = policy;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Classifies any error thrown by a stage; `stage` says which condition an unknown error belongs to. */
export function toReconcileError(error: unknown, stage: "source" | "storage"): ReconcileError {
  if (error instanceof ReconcileError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SpecError)
    return new ReconcileError(ConditionType.Stalled, error.reason, "stall", message, { cause: error });
  if (error instanceof CredentialsError) {
    return new ReconcileError(ConditionType.FetchFailed, Reason.AuthenticationFailed, "retry", message, {
      cause: error,
    });
  }
  if (error instanceof ProviderError && error.kind === "NotVersioned") {
    // A pin on a bucket without history: the bucket (or the spec) must change first.
    return new ReconcileError(ConditionType.Stalled, Reason.VersioningNotEnabled, "stall", message, {
      cause: error,
    });
  }
  if (error instanceof VersionNotFoundError)
    return new ReconcileError(ConditionType.Stalled, Reason.VersionNotFound, "stall", message, {
      cause: error,
    });
  if (error instanceof ProviderError) {
    const reason = error.kind === "Unauthorized" ? Reason.AuthenticationFailed : Reason.BucketOperationFailed;
    return new ReconcileError(ConditionType.FetchFailed, reason, "retry", message, { cause: error });
  }
  if (error instanceof ConsistencyWait) {
    return new ReconcileError(
      ConditionType.FetchFailed,
      Reason.WaitingForConsistentUpload,
      "retry",
      message,
      {
        cause: error,
        retryAfterMs: error.retryAfterMs,
      },
    );
  }
  if (error instanceof VerificationFailedError) {
    return new ReconcileError(ConditionType.SourceVerified, Reason.VerificationError, "retry", message, {
      cause: error,
    });
  }
  if (error instanceof ContentMismatchError) {
    return error.verify
      ? new ReconcileError(ConditionType.SourceVerified, Reason.VerificationError, "retry", message, {
          cause: error,
        })
      : new ReconcileError(ConditionType.FetchFailed, Reason.DigestMismatch, "retry", message, {
          cause: error,
        });
  }
  if (error instanceof IndexFormatError) {
    return new ReconcileError(ConditionType.FetchFailed, Reason.InvalidIndex, "retry", message, {
      cause: error,
    });
  }
  if (error instanceof ManifestValidationError) {
    return new ReconcileError(ConditionType.FetchFailed, Reason.ValidationFailed, "retry", message, {
      cause: error,
    });
  }
  if (error instanceof UnsafeKeyError || error instanceof KeyConflictError) {
    return new ReconcileError(ConditionType.FetchFailed, Reason.InvalidPath, "retry", message, {
      cause: error,
    });
  }
  if (error instanceof LimitExceededError) {
    // The bucket may shrink, or the limit be raised: retried at the normal backoff, like InvalidPath.
    return new ReconcileError(ConditionType.FetchFailed, Reason.LimitExceeded, "retry", message, {
      cause: error,
    });
  }
  if (stage === "storage") {
    return new ReconcileError(
      ConditionType.StorageOperationFailed,
      Reason.ArchiveOperationFailed,
      "retry",
      message,
      {
        cause: error,
      },
    );
  }
  const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
  return new ReconcileError(
    ConditionType.FetchFailed,
    Reason.BucketOperationFailed,
    "retry",
    timedOut
      ? `timed out: ${message} (raise spec.timeout, or bucketops fetch --timeout, if the bucket is large)`
      : message,
    { cause: error },
  );
}
