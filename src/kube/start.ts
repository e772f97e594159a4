// Wires the in-cluster runtime: artifact server (+ /metrics, /readyz), leader election, the Bucket controller.
import os from "node:os";
import path from "node:path";
import { PooledKubeConfig } from "./kubeconfig.js";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Limits } from "../api/limits.js";
import { createReconcileMetrics } from "../engine/metrics.js";
import type { HookSecretRef } from "../hooks/config.js";
import { registerHooks } from "../hooks/routes.js";
import { serveExternalArtifacts } from "../storage/external-artifact-files.js";
import { parseListenAddress } from "../storage/http-server.js";
import { createServing } from "../storage/serving.js";
import { registerWeb } from "../standalone/routes/web.js";
import { BucketController } from "./controller.js";
import { registerDashboardApi } from "./dashboard-api.js";
import { ExternalArtifactSync } from "./external-artifacts.js";
import { kubeEventRecorder } from "./events.js";
import { registerHelmRepo } from "./helm-repo.js";
import { startLeaderElection, type LeaderHandle } from "./leader-election.js";
import { kubeSecretReader } from "./secrets.js";

export interface ControllerRuntimeOptions {
  /** Path of a kubeconfig; undefined → in-cluster config, then $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  storagePath: string;
  storageAddr: string;
  /** host[:port] or URL written into artifact URLs (Flux: --storage-adv-addr). */
  storageAdvAddr?: string;
  workers: number;
  concurrency: number;
  /** The runtime's limits: the default and the ceiling of each Bucket's spec.limits. */
  limits?: Partial<Limits>;
  retentionRecords: number;
  retentionTtlMs: number;
  labelSelector?: string;
  namespace?: string;
  /** Buckets per list page (default 500). */
  listPageSize?: number;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity?: string;
  /** Enabled bucket-event hooks and their Secrets; none: POST /hooks/* answers 404. */
  hooks?: readonly HookSecretRef[];
  /** Debounce window of bucket events per Bucket (ms, default 200). */
  hookDebounceMs?: number;
  /** Allow the dashboard's reconcile/suspend/resume (--dashboard-writes); off: they answer 403. */
  dashboardWrites?: boolean;
  /** Bearer token of those writes (--api-token-file); required when the listen address is beyond loopback. */
  apiToken?: string;
  logger: Logger;
}

/** How long the controller reuses a hook Secret it read (a wrong token re-reads it, at most once a second). */
const HOOK_SECRET_TTL_MS = 30_000;

export interface ControllerRuntime {
  app: FastifyInstance;
  url: string;
  leader?: LeaderHandle;
  /** Resolves when leadership is lost (the process should exit so a standby takes over). */
  lost: Promise<void>;
  close(): Promise<void>;
}

/** Starts serving at once; reconciles once this process leads (or at once without leader election). */
export async function startControllerRuntime(options: ControllerRuntimeOptions): Promise<ControllerRuntime> {
  const kc = new PooledKubeConfig();
  if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromDefault();
  const identity = options.identity ?? `${os.hostname()}_${process.pid}`;
  const logger = options.logger;
  const storageRoot = path.resolve(options.storagePath);

  const serving = await createServing({ ...options, storageRoot });
  const { store, registry, app } = serving;
  const recordEvent = kubeEventRecorder(kc, identity, logger);
  await serveExternalArtifacts(app, storageRoot);
  const controller = new BucketController({
    kc,
    store,
    cacheRoot: path.join(storageRoot, "cache"),
    logger,
    metrics: createReconcileMetrics(registry),
    recordEvent,
    readSecret: kubeSecretReader(kc),
    workers: options.workers,
    concurrency: options.concurrency,
    limits: options.limits,
    labelSelector: options.labelSelector,
    namespace: options.namespace,
    listPageSize: options.listPageSize,
    externalArtifacts: new ExternalArtifactSync({ kc, store, logger, recordEvent }),
  });

  let leader: LeaderHandle | undefined;
  app.get("/readyz", async (_req, reply) =>
    controller.isSynced() || (leader !== undefined && !leader.isLeader())
      ? { status: "ok" }
      : reply.code(503).send({ status: "waiting for the first Bucket list" }),
  );
  registerHooks(app, {
    secrets: options.hooks ?? [],
    readSecret: kubeSecretReader(kc),
    secretTtlMs: HOOK_SECRET_TTL_MS,
    subjects: () => controller.hookSubjects(),
    wake: (ref, changes) => controller.notify(ref.namespace, ref.name, changes),
    // Only the leader reconciles: a standby asks the sender to retry (another replica may lead by then).
    unavailable: () =>
      leader !== undefined && !leader.isLeader()
        ? "this replica is a standby; the leader handles bucket events"
        : controller.isSynced()
          ? undefined
          : "the controller has not listed its Buckets yet",
    logger,
    debounceMs: options.hookDebounceMs,
  });
  registerHelmRepo(app, controller, store, kubeSecretReader(kc), logger);
  registerDashboardApi(app, kc, controller, {
    writes: options.dashboardWrites ?? false,
    auth: { listenHost: parseListenAddress(options.storageAddr).host, apiToken: options.apiToken },
  });
  await registerWeb(app);
  const listening = await serving.listen(options.storageAddr, options.storageAdvAddr);

  let lost: Promise<void> = new Promise(() => undefined);
  if (options.leaderElect) {
    leader = startLeaderElection(kc, {
      namespace: options.leaseNamespace,
      name: options.leaseName,
      identity,
      leaseDurationMs: options.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs,
      logger,
    });
    lost = leader.lost;
    // A standby writes nothing, so it sweeps (before any reconcile writes) only once it leads.
    void leader.leading.then(() => serving.sweepTemp()).then(() => controller.start());
  } else {
    await serving.sweepTemp();
    await controller.start();
  }
  logger.info({ url: listening, identity, leaderElect: options.leaderElect }, "bucketops controller started");

  return {
    app,
    url: listening,
    leader,
    lost,
    async close(): Promise<void> {
      await controller.stop();
      await leader?.release();
      await app.close();
    },
  };
}
