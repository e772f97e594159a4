// The controller's Helm repository routes: Buckets from the informer, Secrets from the API server.
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { SecretReader } from "../credentials/secret.js";
import { registerHelmRoutes } from "../helm/routes.js";
import { helmSubjectOf } from "../helm/subject.js";
import type { ArtifactStore } from "../storage/artifact-store.js";
import type { BucketController } from "./controller.js";

/** Registers GET /helm/<namespace>/<name>/… for the Buckets this controller reconciles with spec.helmRepository. */
export function registerHelmRepo(
  app: FastifyInstance,
  controller: BucketController,
  store: ArtifactStore,
  readSecret: SecretReader,
  logger: Logger,
): void {
  registerHelmRoutes(app, {
    lookup: (namespace, name) => {
      const state = controller.publishedState(namespace, name);
      return state && helmSubjectOf(state.spec, process.cwd(), state.artifact);
    },
    readSecret,
    artifactFile: (relativePath) => store.absolute(relativePath),
    storageRoot: store.root,
    logger,
  });
}
