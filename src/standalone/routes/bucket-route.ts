// What the time-travel routes share: finding the Bucket, opening its provider, and errors as JSON with a status.
import type { FastifyReply } from "fastify";
import { SpecError } from "../../api/errors.js";
import { CredentialsError } from "../../credentials/secret.js";
import { withBucket, type OpenBucket } from "../../engine/open-bucket.js";
import { ProviderError, type ProviderErrorKind } from "../../providers/types.js";
import { HistoryRefError } from "../../source/history.js";
import type { RunnerBucket, StandaloneRunner } from "../runner.js";

export interface BucketParams {
  namespace: string;
  name: string;
}

/** A request that cannot be answered: the HTTP status and the message of the JSON error body. */
export class RouteError extends Error {
  override readonly name = "RouteError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** How each provider failure is answered: the bucket's history is unavailable (409) or the upstream failed. */
const PROVIDER_STATUS: Record<ProviderErrorKind, number> = {
  NotVersioned: 409,
  BucketNotFound: 502,
  Unauthorized: 502,
  NotFound: 502,
  Invalid: 502,
  Conflict: 502,
  Transient: 503,
};

/** The runner's Bucket. Throws RouteError 404 when there is none. */
export function findBucket(runner: StandaloneRunner, params: BucketParams): RunnerBucket {
  const bucket = runner.bucket(params.namespace, params.name);
  if (!bucket)
    throw new RouteError(
      404,
      `Bucket ${params.namespace}/${params.name} not found; list them with GET /api/buckets`,
    );
  return bucket;
}

/** Opens the Bucket's provider from its spec and the folder's Secrets, runs `fn` and closes the provider. */
export function withRunnerBucket<T>(bucket: RunnerBucket, fn: (open: OpenBucket) => Promise<T>): Promise<T> {
  return withBucket(
    {
      spec: bucket.spec,
      baseDir: bucket.baseDir,
      namespace: bucket.ref.namespace,
      readSecret: bucket.readSecret,
    },
    fn,
  );
}

/**
 * Answers `error` as `{error}` with a fitting status: 400 for a bad time or revision, 404 for an unknown Bucket,
 * 409 for a bucket without versioning, 422 for a spec or Secret that cannot be used, 502/503 when the bucket's
 * service fails. Anything else is rethrown (fastify answers 500).
 */
export function sendRouteError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof RouteError) return reply.code(error.status).send({ error: error.message });
  if (error instanceof HistoryRefError) return reply.code(400).send({ error: error.message });
  if (error instanceof SpecError || error instanceof CredentialsError)
    return reply.code(422).send({ error: error.message });
  if (error instanceof ProviderError)
    return reply.code(PROVIDER_STATUS[error.kind]).send({ error: error.message, kind: error.kind });
  throw error;
}
