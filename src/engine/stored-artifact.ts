// The storage step: is the artifact in status still on disk, holding the bytes its record names?
import type { Artifact } from "../api/status.js";
import type { ArtifactStore, BucketRef } from "../storage/artifact-store.js";

export interface StoredArtifact {
  /** The recorded artifact when it is on disk and intact; undefined when it must be (re)built. */
  previous?: Artifact;
  /** Why the stored file was damaged (it has been deleted); undefined when it was intact or missing. */
  damaged?: string;
}

/**
 * Checks the recorded artifact: a missing or damaged one counts as absent, so the reconcile rebuilds it (same content,
 * same digest) and neither the segment reuse nor the no-change path trusts it; a damaged file is deleted so no consumer
 * is served bytes that differ from status. Never throws: a file that cannot be read counts as damaged.
 */
export async function checkStoredArtifact(
  store: ArtifactStore,
  ref: BucketRef,
  artifact: Artifact | undefined,
): Promise<StoredArtifact> {
  if (!artifact) return {};
  const check = await store.check(ref, artifact).catch((error: unknown) => ({
    state: "damaged" as const,
    reason: `unreadable: ${error instanceof Error ? error.message : String(error)}`,
  }));
  if (check.state === "intact") return { previous: artifact };
  if (check.state === "missing") return {};
  await store.discard(artifact).catch(() => undefined); // the put of the rebuilt artifact replaces it anyway
  return {
    damaged: `stored artifact ${artifact.path} was damaged (${check.reason}); it was deleted to be rebuilt`,
  };
}
