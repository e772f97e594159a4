// JSON API of the standalone runtime (the dashboard, routes/web.ts, is its client).
import type { FastifyInstance } from "fastify";
import type { ArtifactStore } from "../storage/artifact-store.js";
import type { RevisionLog } from "./revision-log.js";
import type { StandaloneRunner } from "./runner.js";
import { registerDiffRoute } from "./routes/diff.js";
import { registerEventStream } from "./routes/events-stream.js";
import { registerEventsRoute } from "./routes/events.js";
import { registerHistoryRoute } from "./routes/history.js";
import { registerPinRoutes } from "./routes/pin.js";
import { registerRevisionRoutes } from "./routes/revisions.js";
import { registerSuspendRoutes } from "./routes/suspend.js";
import { registerWriteAuth, type WriteAuthOptions } from "./routes/write-auth.js";

/**
 * Registers GET /api/buckets, GET /api/buckets/:namespace/:name, POST …/reconcile, the time-travel routes
 * (GET …/history, GET …/diff, POST and DELETE …/pin), POST …/suspend and …/resume, GET …/events, the event stream
 * (GET /api/events/stream) and, given `kept`, the kept revisions (GET …/files, …/revisions, …/revisions/diff). Write
 * routes need a bearer token when one is configured or the server listens beyond loopback (see registerWriteAuth);
 * without `auth` the API is open (in-process tests).
 */
export function registerApi(
  app: FastifyInstance,
  runner: StandaloneRunner,
  auth?: WriteAuthOptions,
  kept?: { revisions: RevisionLog; store: ArtifactStore },
): void {
  if (auth) registerWriteAuth(app, auth);
  app.get("/api/buckets", () => ({ items: runner.list(), problems: runner.folderProblems() }));

  app.get<{ Params: { namespace: string; name: string } }>(
    "/api/buckets/:namespace/:name",
    async (req, reply) => {
      const view = runner.get(req.params.namespace, req.params.name);
      if (!view) return reply.code(404).send(notFound(req.params));
      return view;
    },
  );

  app.post<{ Params: { namespace: string; name: string } }>(
    "/api/buckets/:namespace/:name/reconcile",
    async (req, reply) => {
      const result = await runner.reconcileNow(req.params.namespace, req.params.name);
      if (!result) return reply.code(404).send(notFound(req.params));
      return {
        outcome: result.outcome,
        stats: result.stats,
        status: result.status,
        error: result.error ? { reason: result.error.reason, message: result.error.message } : undefined,
      };
    },
  );

  registerHistoryRoute(app, runner);
  registerDiffRoute(app, runner);
  registerPinRoutes(app, runner);
  registerSuspendRoutes(app, runner);
  registerEventsRoute(app, runner);
  registerEventStream(app, runner);
  if (kept) registerRevisionRoutes(app, runner, kept.revisions, kept.store);

  app.get("/readyz", () => ({ status: "ok" }));
}

function notFound(params: { namespace: string; name: string }): { error: string } {
  return { error: `Bucket ${params.namespace}/${params.name} not found; list them with GET /api/buckets` };
}
