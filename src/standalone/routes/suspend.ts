// POST /api/buckets/:namespace/:name/suspend and …/resume: spec.suspend overlaid on the YAML spec, kept in the
// runner's state store across restarts (the YAML is never rewritten). Resume answers with the reconcile it runs.
import type { FastifyInstance } from "fastify";
import type { StandaloneRunner } from "../runner.js";
import { RouteError, sendRouteError, type BucketParams } from "./bucket-route.js";

/** Registers the suspend and resume routes: `{bucket: BucketView}` (+ outcome, status, error after a resume). */
export function registerSuspendRoutes(app: FastifyInstance, runner: StandaloneRunner): void {
  for (const verb of ["suspend", "resume"] as const) {
    app.post<{ Params: BucketParams }>(`/api/buckets/:namespace/:name/${verb}`, async (req, reply) => {
      try {
        const { namespace, name } = req.params;
        const done = await runner.setSuspend(namespace, name, verb === "suspend");
        if (!done)
          throw new RouteError(404, `Bucket ${namespace}/${name} not found; list them with GET /api/buckets`);
        const { result } = done;
        return {
          bucket: runner.get(namespace, name) ?? done.view,
          ...(result
            ? {
                outcome: result.outcome,
                stats: result.stats,
                status: result.status,
                error: result.error
                  ? { reason: result.error.reason, message: result.error.message }
                  : undefined,
              }
            : {}),
        };
      } catch (error) {
        return sendRouteError(reply, error);
      }
    });
  }
}
