// POST /api/buckets/:namespace/:name/pin {to} and DELETE …/pin: pin a Bucket to a past state of its prefix
// (spec.asOf overlaid on its YAML, kept in the runner's state store) and unpin it; each answers with the
// reconcile that follows.
import type { FastifyInstance } from "fastify";
import type { ReconcileResult } from "../../engine/reconcile.js";
import { loadHistory, resolvePin } from "../../engine/time-travel.js";
import { notVersioned } from "../../providers/types.js";
import type { StandaloneRunner } from "../runner.js";
import type { BucketPin } from "../state-store.js";
import {
  findBucket,
  RouteError,
  sendRouteError,
  withRunnerBucket,
  type BucketParams,
} from "./bucket-route.js";

/** Registers the pin and unpin routes. */
export function registerPinRoutes(app: FastifyInstance, runner: StandaloneRunner): void {
  app.post<{ Params: BucketParams; Body: unknown }>(
    "/api/buckets/:namespace/:name/pin",
    async (req, reply) => {
      try {
        const to = pinTarget(req.body);
        const bucket = findBucket(runner, req.params);
        // A bucket that keeps no versions is refused here, before a pin is saved (409).
        const asOf = await withRunnerBucket(bucket, async (open) => {
          if ((await open.provider.versioning()) === "disabled")
            throw notVersioned(`bucket ${open.spec.bucketName}`, "versioning is not enabled");
          return resolvePin(to, async (ref) => (await loadHistory(open, bucket.cacheDir)).resolve(ref));
        });
        const pin: BucketPin = { asOf, to, at: new Date().toISOString() };
        return answer(await runner.setPin(req.params.namespace, req.params.name, pin), pin);
      } catch (error) {
        return sendRouteError(reply, error);
      }
    },
  );

  app.delete<{ Params: BucketParams }>("/api/buckets/:namespace/:name/pin", async (req, reply) => {
    try {
      findBucket(runner, req.params);
      return answer(await runner.setPin(req.params.namespace, req.params.name, undefined), undefined);
    } catch (error) {
      return sendRouteError(reply, error);
    }
  });
}

function pinTarget(body: unknown): string {
  const to = (body as { to?: unknown } | null | undefined)?.to;
  if (typeof to !== "string" || to === "")
    throw new RouteError(400, 'the body must be {"to": "<RFC 3339 time | revision>"}');
  return to;
}

function answer(result: ReconcileResult | undefined, pin: BucketPin | undefined): Record<string, unknown> {
  if (!result) throw new RouteError(404, "the Bucket was removed");
  return {
    ...(pin ? { pin } : {}),
    outcome: result.outcome,
    stats: result.stats,
    status: result.status,
    error: result.error ? { reason: result.error.reason, message: result.error.message } : undefined,
  };
}
