// Step: spec.validate — a state with a manifest that does not parse is never archived; the previous artifact stays.
import { validateManifests } from "../../source/validate-manifests.js";
import type { StepContext } from "./context.js";
import type { Fetched } from "./fetch.js";

/** Throws ManifestValidationError naming the first file that does not parse (with spec.validate: manifests). */
export async function validateStep(_ctx: StepContext, state: Fetched): Promise<Fetched> {
  if (state.spec.validate === "manifests") await validateManifests(state.index, state.cache);
  return state;
}
