// A content mismatch (size or sha256 differs from the index): an upload in progress while it is young, tampering once
// it has stayed the same — same index, same listing — for longer than an upload takes.
import type { GateState } from "./gate-state.js";
import { ContentMismatchError, ConsistencyWait } from "./errors.js";

/**
 * How long an unchanged mismatch counts as an upload in progress. `push` rewrites changed objects and then the
 * index within seconds; a mismatch that outlives this with neither the index nor the listing changing is reported
 * as a failure (DigestMismatch, or SourceVerified=False with spec.verify).
 */
export const UPLOAD_GRACE_MS = 60_000;

export interface MismatchSeen {
  state: GateState;
  indexEtag: string;
  /** The listing's revision (every listed key and etag). */
  revision: string;
  now: Date;
  verify: boolean;
  /** The retry delay while it still counts as waiting. */
  retryAfterMs: number;
}

/** Records the mismatch in `seen.state` and returns the error to throw: a wait, or a ContentMismatchError. */
export function mismatchError(seen: MismatchSeen, what: string): ConsistencyWait | ContentMismatchError {
  const { state, indexEtag, revision, now } = seen;
  const previous = state.mismatch;
  const same = previous?.indexEtag === indexEtag && previous.revision === revision;
  const since = same ? Date.parse(previous.since) : now.getTime();
  if (!same) state.mismatch = { indexEtag, revision, since: now.toISOString() };
  const age = now.getTime() - since;
  if (age >= UPLOAD_GRACE_MS) {
    const span = Math.round(age / 1000);
    return new ContentMismatchError(
      `${what}, unchanged for ${span}s with the same index: not an upload in progress (changed after the index was written?); push again to republish`,
      seen.verify,
    );
  }
  return new ConsistencyWait(`waiting for a consistent upload: ${what}`, seen.retryAfterMs);
}
