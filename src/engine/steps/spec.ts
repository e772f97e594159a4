// Step: the raw spec → one normalized BucketSpec (a SpecError stalls the Bucket).
import { normalizeSpec, type BucketSpec } from "../../api/normalize.js";
import type { StepContext } from "./context.js";

/** Validates and normalizes the spec. Throws SpecError (policy stall) for a spec that must change first. */
export function specStep(ctx: StepContext): Promise<BucketSpec> {
  return Promise.resolve(normalizeSpec(ctx.input.spec, ctx.input.baseDir));
}
