// The controller's dashboard API: the read routes and event stream the page (web/) uses, built from the informer
// cache, and, only with --dashboard-writes, reconcile/suspend/resume as patches of the Bucket object.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import type { FastifyInstance, FastifyReply } from "fastify";
import { REQUESTED_AT_ANNOTATION } from "../engine/reconcile.js";
import { registerSse } from "../standalone/routes/sse.js";
import { registerWriteAuth, type WriteAuthOptions } from "../standalone/routes/write-auth.js";
import type { BucketController } from "./controller.js";
import { bucketView } from "./dashboard-view.js";
import { bucketApi, type BucketResource } from "./resources.js";

export interface DashboardApiOptions {
  /** Whether POST …/reconcile, …/suspend and …/resume are allowed (--dashboard-writes); off: 403. */
  writes: boolean;
  /** Who may write when writes are on (a token is required beyond loopback). */
  auth: WriteAuthOptions;
}

type Params = { namespace: string; name: string };

/**
 * Registers GET /api/buckets, GET /api/buckets/:namespace/:name, GET /api/events/stream and the write routes.
 * Routes the standalone API has and the controller has not (files, revisions, history, events…) answer 404.
 */
export function registerDashboardApi(
  app: FastifyInstance,
  kc: KubeConfig,
  controller: BucketController,
  options: DashboardApiOptions,
): void {
  const list = (): { items: ReturnType<typeof bucketView>[]; problems: never[] } => ({
    items: controller.buckets().map(bucketView),
    problems: [],
  });
  app.get("/api/buckets", () => list());
  app.get<{ Params: Params }>("/api/buckets/:namespace/:name", async (req, reply) => {
    const obj = controller.bucket(req.params.namespace, req.params.name);
    return obj ? bucketView(obj) : notFound(reply, req.params);
  });

  // What only `bucketops run` keeps: a 404 saying so (the page shows it in place of the section).
  for (const sub of ["files", "revisions", "revisions/diff", "history", "diff", "events"])
    app.get(`/api/buckets/:namespace/:name/${sub}`, async (_req, reply) =>
      reply.code(404).send({
        error: `not served by the controller (only by bucketops run); try bucketops ${sub === "events" ? "events" : "history"} or kubectl`,
      }),
    );

  registerSse(app, "/api/events/stream", (send) => {
    send("hello", list());
    return controller.onBucket((obj, deleted) => {
      const ref = { namespace: obj.metadata?.namespace ?? "", name: obj.metadata?.name ?? "" };
      const current = deleted ? undefined : controller.bucket(ref.namespace, ref.name);
      if (current) send("bucket", bucketView(current));
      else send("removed", ref);
    });
  });

  if (options.writes) registerWriteAuth(app, options.auth);
  const api = kc.makeApiClient(CustomObjectsApi);
  const patch = async (reply: FastifyReply, params: Params, body: object): Promise<unknown> => {
    if (!options.writes)
      return reply.code(403).send({
        error:
          "dashboard writes are off: start the controller with --dashboard-writes (and --api-token-file)",
      });
    if (!controller.bucket(params.namespace, params.name)) return notFound(reply, params);
    const patched = (await api.patchNamespacedCustomObject(
      { ...bucketApi, ...params, body },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    )) as BucketResource;
    return { bucket: bucketView(patched) };
  };
  // Reconcile answers at once (202): the controller sees the annotation and reconciles; the stream shows the result.
  app.post<{ Params: Params }>("/api/buckets/:namespace/:name/reconcile", async (req, reply) => {
    const at = new Date().toISOString();
    const answer = await patch(reply, req.params, {
      metadata: { annotations: { [REQUESTED_AT_ANNOTATION]: at } },
    });
    return reply.sent ? reply : reply.code(202).send({ ...(answer as object), requestedAt: at });
  });
  for (const verb of ["suspend", "resume"] as const)
    app.post<{ Params: Params }>(`/api/buckets/:namespace/:name/${verb}`, async (req, reply) => {
      const answer = await patch(reply, req.params, { spec: { suspend: verb === "suspend" } });
      return reply.sent ? reply : answer;
    });
}

function notFound(reply: FastifyReply, params: Params): FastifyReply {
  return reply
    .code(404)
    .send({ error: `Bucket ${params.namespace}/${params.name} not found; list them with GET /api/buckets` });
}
