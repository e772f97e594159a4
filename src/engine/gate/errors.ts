// What the consistency gate and verification throw; engine/errors.ts maps each to a condition, reason and policy.

/** The listing is not (yet) a complete state: retried soon (`retryAfterMs`), the previous artifact keeps serving. */
export class ConsistencyWait extends Error {
  override readonly name = "ConsistencyWait";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/**
 * An object's content stayed different from the index while neither changed for longer than an upload takes:
 * tampering or a broken writer, not an upload in progress. `verify`: the Bucket has spec.verify (SourceVerified).
 */
export class ContentMismatchError extends Error {
  override readonly name = "ContentMismatchError";
  constructor(
    message: string,
    readonly verify: boolean,
  ) {
    super(message);
  }
}

/** spec.verify failed: no usable public key, or no valid signature on the index object. */
export class VerificationFailedError extends Error {
  override readonly name = "VerificationFailedError";
}
