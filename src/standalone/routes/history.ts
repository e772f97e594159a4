// GET /api/buckets/:namespace/:name/history?since=&limit=: the change points of a Bucket's versioned prefix.
import type { FastifyInstance } from "fastify";
import { historyJson } from "../../engine/time-travel.js";
import { parseInstant } from "../../source/history.js";
import type { StandaloneRunner } from "../runner.js";
import {
  findBucket,
  RouteError,
  sendRouteError,
  withRunnerBucket,
  type BucketParams,
} from "./bucket-route.js";

interface Query {
  since?: string;
  limit?: string;
}

/** Registers the history route: `{prefix, versions, items: [change points, newest first], durationMs}`. */
export function registerHistoryRoute(app: FastifyInstance, runner: StandaloneRunner): void {
  app.get<{ Params: BucketParams; Querystring: Query }>(
    "/api/buckets/:namespace/:name/history",
    async (req, reply) => {
      try {
        const options = historyQuery(req.query);
        const bucket = findBucket(runner, req.params);
        return await withRunnerBucket(bucket, (open) => historyJson(open, bucket.cacheDir, options));
      } catch (error) {
        return sendRouteError(reply, error);
      }
    },
  );
}

function historyQuery(query: Query): { since?: Date; limit?: number } {
  const out: { since?: Date; limit?: number } = {};
  if (query.since !== undefined) {
    const since = parseInstant(query.since);
    if (!since)
      throw new RouteError(400, `since=${query.since}: must be an RFC 3339 time (2026-12-01T10:00:00Z)`);
    out.since = since;
  }
  if (query.limit !== undefined) {
    const limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new RouteError(400, `limit=${query.limit}: must be a whole number of 1 or more`);
    out.limit = limit;
  }
  return out;
}
