// Files of ExternalArtifacts bucketops produces (chart archives): externalartifact/<namespace>/<name>/<hex>.tgz
// under the storage root, Flux's layout for a kind's artifacts, served read-only beside bucket/.
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

export const EXTERNAL_ARTIFACT_DIR = "externalartifact";
const FILE_RE = /^[0-9a-f]{64}\.tgz$/;

/** Storage-relative folder of one ExternalArtifact's files. */
export function externalArtifactDir(namespace: string, name: string): string {
  return path.posix.join(EXTERNAL_ARTIFACT_DIR, namespace, name);
}

/** Storage-relative path of a chart archive with this `sha256:<hex>` digest. */
export function externalArtifactPath(namespace: string, name: string, digest: string): string {
  return path.posix.join(externalArtifactDir(namespace, name), `${digest.replace(/^sha256:/, "")}.tgz`);
}

/** Serves `<root>/externalartifact/` at `/externalartifact/` (no listings, no dotfiles: work folders are hidden). */
export async function serveExternalArtifacts(app: FastifyInstance, root: string): Promise<void> {
  const served = path.join(path.resolve(root), EXTERNAL_ARTIFACT_DIR);
  await mkdir(served, { recursive: true });
  await app.register(fastifyStatic, {
    root: served,
    prefix: `/${EXTERNAL_ARTIFACT_DIR}/`,
    dotfiles: "deny",
    etag: true,
    lastModified: true,
    index: false,
    list: false,
    decorateReply: false,
    cacheControl: false,
  });
}

/**
 * Deletes an ExternalArtifact's older archives: never `current`; of the others the newest `keepOthers` stay
 * (a consumer that read the previous status may still be downloading). Returns the deleted names.
 */
export async function gcExternalArtifactDir(
  dir: string,
  current: string,
  keepOthers: number,
): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const others: { name: string; mtimeMs: number }[] = [];
  for (const name of names) {
    if (name === current || !FILE_RE.test(name)) continue;
    others.push({ name, mtimeMs: (await stat(path.join(dir, name))).mtimeMs });
  }
  others.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const doomed = others.slice(keepOthers).map((o) => o.name);
  for (const name of doomed) await rm(path.join(dir, name), { force: true });
  return doomed;
}
