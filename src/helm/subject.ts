// A Bucket's raw spec and status.artifact → what the repository routes need; shared by both runtimes.
import { normalizeSpec } from "../api/normalize.js";
import type { Artifact } from "../api/status.js";
import type { HelmRepoSubject } from "./routes.js";

/**
 * Normalizes `rawSpec` (relative file:// URLs against `baseDir`) and returns the routes' view of the Bucket;
 * undefined when the spec is invalid (such a Bucket publishes nothing to serve).
 */
export function helmSubjectOf(
  rawSpec: unknown,
  baseDir: string,
  artifact: Artifact | undefined,
): HelmRepoSubject | undefined {
  let spec;
  try {
    spec = normalizeSpec(rawSpec, baseDir);
  } catch {
    return undefined;
  }
  // As source/scan reads the prefix's .sourceignore: prefix "charts" is the folder "charts/".
  const prefix = spec.prefix;
  const prefixDir = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return {
    helmRepository: spec.helmRepository,
    location: { bucketName: spec.bucketName, prefixDir },
    artifact,
  };
}
