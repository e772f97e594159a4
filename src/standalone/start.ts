// Wires the standalone runtime: artifact store + HTTP server + folder runner.
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { createReconcileMetrics } from "../engine/metrics.js";
import type { EngineDeps } from "../engine/reconcile.js";
import type { HookSecretRef } from "../hooks/config.js";
import { registerHooks } from "../hooks/routes.js";
import type { ArtifactStore } from "../storage/artifact-store.js";
import { createServing } from "../storage/serving.js";
import { parseListenAddress } from "../storage/http-server.js";
import { registerApi } from "./api.js";
import { registerHelmRepo } from "./routes/helm-repo.js";
import { RevisionLog } from "./revision-log.js";
import { StandaloneRunner } from "./runner.js";
import { registerWeb } from "./routes/web.js";

export interface StandaloneOptions {
  configDir: string;
  storageRoot: string;
  /** [host]:port; port 0 picks a free one. */
  listen: string;
  /** host[:port] or URL written into artifact URLs; default: the address actually listened on. */
  advertiseAddress?: string;
  concurrency: number;
  concurrentReconciles: number;
  retentionRecords: number;
  retentionTtlMs: number;
  logger: Logger;
  watch?: boolean;
  /** Period of the config-folder rescan that backs up the watcher (ms, default 2000). */
  rescanIntervalMs?: number;
  engine?: Partial<EngineDeps>;
  /** Enabled bucket-event hooks and their Secrets (in the config folder); none: POST /hooks/* answers 404. */
  hooks?: readonly HookSecretRef[];
  /** Debounce window of bucket events per Bucket (ms, default 200). */
  hookDebounceMs?: number;
  /**
   * Bearer token the API's write routes require. Unset: writes are open on a loopback listen address and refused
   * (401) on any other.
   */
  apiToken?: string;
}

export interface StandaloneHandle {
  app: FastifyInstance;
  runner: StandaloneRunner;
  store: ArtifactStore;
  /** Where the server answers, e.g. http://127.0.0.1:9090. */
  url: string;
  close(): Promise<void>;
}

/** Starts serving and reconciling; resolves once the server listens and the folder has been read. */
export async function startStandalone(options: StandaloneOptions): Promise<StandaloneHandle> {
  const storageRoot = path.resolve(options.storageRoot);
  const serving = await createServing({ ...options, storageRoot });
  const { store, registry, app } = serving;
  const revisions = new RevisionLog(storageRoot);
  const runner = new StandaloneRunner({
    revisions,
    metrics: createReconcileMetrics(registry),
    configDir: path.resolve(options.configDir),
    storageRoot,
    store,
    logger: options.logger,
    concurrency: options.concurrency,
    concurrentReconciles: options.concurrentReconciles,
    watch: options.watch,
    rescanIntervalMs: options.rescanIntervalMs,
    engine: options.engine,
  });
  registerApi(
    app,
    runner,
    {
      listenHost: parseListenAddress(options.listen).host,
      ...(options.apiToken !== undefined ? { apiToken: options.apiToken } : {}),
    },
    { revisions, store },
  );
  registerHelmRepo(app, runner, store, options.logger);
  await registerWeb(app);
  registerHooks(app, {
    secrets: options.hooks ?? [],
    // The folder's Secrets are in memory and reloaded on edit: no cache needed.
    readSecret: (namespace, name) => Promise.resolve(runner.secret(namespace, name)),
    secretTtlMs: 0,
    subjects: () =>
      runner
        .list()
        .map((b) => ({ namespace: b.namespace, name: b.name, spec: b.spec, baseDir: path.dirname(b.file) })),
    wake: (ref, changes) => runner.notify(ref.namespace, ref.name, changes),
    logger: options.logger,
    debounceMs: options.hookDebounceMs,
  });
  const url = await serving.listen(options.listen, options.advertiseAddress);
  await serving.sweepTemp(); // before any reconcile writes
  await runner.start();
  return {
    app,
    runner,
    store,
    url,
    async close(): Promise<void> {
      await runner.stop();
      await app.close();
    },
  };
}
