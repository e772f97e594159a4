// GET …/files, …/revisions and …/revisions/diff: the current artifact's files and the last published revisions
// (RevisionLog), for any bucket, versioned or not.
import type { FastifyInstance } from "fastify";
import type { ArtifactStore } from "../../storage/artifact-store.js";
import { readArtifactFiles } from "../artifact-files.js";
import { diffRevisions, UnknownRevisionError } from "../revision-diff.js";
import type { RevisionLog } from "../revision-log.js";
import type { StandaloneRunner } from "../runner.js";
import { RouteError, sendRouteError, type BucketParams } from "./bucket-route.js";

/** Files answered by GET …/files at most (`total` says how many there are). */
const MAX_LISTED = 2000;

/** Registers the three routes; each answers 404 for an unknown Bucket. */
export function registerRevisionRoutes(
  app: FastifyInstance,
  runner: StandaloneRunner,
  log: RevisionLog,
  store: ArtifactStore,
): void {
  // The current artifact's files: from the log, or read from the tar.gz when it was stored before the log was.
  app.get<{ Params: BucketParams }>("/api/buckets/:namespace/:name/files", async (req, reply) => {
    try {
      const artifact = view(runner, req.params).status.artifact;
      if (!artifact) return { files: [] };
      const kept = await log.files(req.params, artifact.revision);
      const files =
        kept?.files ?? (await readArtifactFiles(store.absolute(artifact.path), () => Promise.resolve()));
      return {
        revision: artifact.revision,
        total: files.length,
        files: files.slice(0, MAX_LISTED).map((f) => ({ name: f.name, size: f.size })),
      };
    } catch (error) {
      return sendRouteError(reply, error);
    }
  });

  app.get<{ Params: BucketParams }>("/api/buckets/:namespace/:name/revisions", async (req, reply) => {
    try {
      view(runner, req.params);
      return { items: await log.list(req.params) };
    } catch (error) {
      return sendRouteError(reply, error);
    }
  });

  app.get<{ Params: BucketParams; Querystring: { from?: string; to?: string } }>(
    "/api/buckets/:namespace/:name/revisions/diff",
    async (req, reply) => {
      try {
        view(runner, req.params);
        const { from, to } = req.query;
        if (!from || !to)
          throw new RouteError(400, "from and to are required: two kept revisions (sha256:…)");
        return await diffRevisions(log, req.params, from, to);
      } catch (error) {
        if (error instanceof UnknownRevisionError) return reply.code(404).send({ error: error.message });
        return sendRouteError(reply, error);
      }
    },
  );
}

function view(
  runner: StandaloneRunner,
  params: BucketParams,
): NonNullable<ReturnType<StandaloneRunner["get"]>> {
  const found = runner.get(params.namespace, params.name);
  if (!found)
    throw new RouteError(
      404,
      `Bucket ${params.namespace}/${params.name} not found; list them with GET /api/buckets`,
    );
  return found;
}
