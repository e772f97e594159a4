// Step: is the artifact in status still in storage? Only an intact one keeps serving and may be reused.
import { checkStoredArtifact } from "../stored-artifact.js";
import type { StepContext } from "./context.js";

/** Event reason of a stored artifact that failed its check (Flux's source-controller uses the same). */
export const ARTIFACT_DAMAGED = "ArtifactVerificationFailed";

/** Records the intact stored artifact in the trail; a damaged one is deleted and reported as a notice. Never throws. */
export async function storageStep(ctx: StepContext): Promise<void> {
  const { input, deps } = ctx;
  const { previous, damaged } = await checkStoredArtifact(deps.store, input.ref, input.status.artifact);
  if (previous) ctx.trail.previous = previous;
  if (damaged) {
    ctx.log.warn({ reason: ARTIFACT_DAMAGED }, damaged);
    ctx.notices.push({ type: "Warning", reason: ARTIFACT_DAMAGED, message: damaged });
  }
}
