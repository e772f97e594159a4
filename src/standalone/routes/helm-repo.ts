// The standalone runtime's Helm repository routes: Buckets, Secrets and artifacts from the runner's folder.
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { registerHelmRoutes } from "../../helm/routes.js";
import { helmSubjectOf } from "../../helm/subject.js";
import type { ArtifactStore } from "../../storage/artifact-store.js";
import type { StandaloneRunner } from "../runner.js";

/** Registers GET /helm/<namespace>/<name>/… for the folder's Buckets with spec.helmRepository. */
export function registerHelmRepo(
  app: FastifyInstance,
  runner: StandaloneRunner,
  store: ArtifactStore,
  logger: Logger,
): void {
  registerHelmRoutes(app, {
    lookup: (namespace, name) => {
      const view = runner.get(namespace, name);
      const bucket = runner.bucket(namespace, name);
      if (!view || !bucket) return undefined;
      return helmSubjectOf(bucket.spec, bucket.baseDir, view.status.artifact);
    },
    readSecret: (namespace, name) => Promise.resolve(runner.secret(namespace, name)),
    artifactFile: (relativePath) => store.absolute(relativePath),
    storageRoot: store.root,
    logger,
  });
}
