// GET /api/buckets/:namespace/:name/events: the recent events the runner keeps in memory for a Bucket.
import type { FastifyInstance } from "fastify";
import type { StandaloneRunner } from "../runner.js";
import { RouteError, sendRouteError, type BucketParams } from "./bucket-route.js";

/** Registers the events route: `{items: RecordedEvent[]}`, oldest first; 404 for an unknown Bucket. */
export function registerEventsRoute(app: FastifyInstance, runner: StandaloneRunner): void {
  app.get<{ Params: BucketParams }>("/api/buckets/:namespace/:name/events", async (req, reply) => {
    try {
      const { namespace, name } = req.params;
      const items = runner.events(namespace, name);
      if (!items)
        throw new RouteError(404, `Bucket ${namespace}/${name} not found; list them with GET /api/buckets`);
      return { items };
    } catch (error) {
      return sendRouteError(reply, error);
    }
  });
}
