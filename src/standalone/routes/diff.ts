// GET /api/buckets/:namespace/:name/diff?from=&to=[&stat=1]: what changed between two states of the prefix.
import type { FastifyInstance } from "fastify";
import { diffJson } from "../../engine/time-travel.js";
import type { StandaloneRunner } from "../runner.js";
import {
  findBucket,
  RouteError,
  sendRouteError,
  withRunnerBucket,
  type BucketParams,
} from "./bucket-route.js";

interface Query {
  from?: string;
  to?: string;
  stat?: string;
}

/**
 * Registers the diff route. `from` is required, `to` defaults to "latest"; each is an RFC 3339 time, a revision
 * (or a unique prefix of one) or "latest". `stat=1` (or true): keys and counts only, no contents read.
 */
export function registerDiffRoute(app: FastifyInstance, runner: StandaloneRunner): void {
  app.get<{ Params: BucketParams; Querystring: Query }>(
    "/api/buckets/:namespace/:name/diff",
    async (req, reply) => {
      try {
        const { from, to = "latest", stat } = req.query;
        if (from === undefined || from === "")
          throw new RouteError(400, 'from is required: an RFC 3339 time, a revision or "latest"');
        const bucket = findBucket(runner, req.params);
        return await withRunnerBucket(bucket, (open) =>
          diffJson(open, bucket.cacheDir, { from, to, stat: stat === "1" || stat === "true" }),
        );
      } catch (error) {
        return sendRouteError(reply, error);
      }
    },
  );
}
