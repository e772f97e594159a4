// Wires the standalone runtime: artifact store + HTTP server + folder runner.
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { createReconcileMetrics } from "../engine/metrics.js";
import type { EngineDeps } from "../engine/reconcile.js";
import { ArtifactStore } from "../storage/artifact-store.js";
import { createArtifactServer, parseListenAddress } from "../storage/http-server.js";
import { registerApi } from "./api.js";
import { StandaloneRunner } from "./runner.js";

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
  engine?: Partial<EngineDeps>;
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
  let baseUrl = "";
  const store = new ArtifactStore({
    root: storageRoot,
    baseUrl: () => baseUrl,
    retentionRecords: options.retentionRecords,
    retentionTtlMs: options.retentionTtlMs,
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const runner = new StandaloneRunner({
    metrics: createReconcileMetrics(registry),
    configDir: path.resolve(options.configDir),
    storageRoot,
    store,
    logger: options.logger,
    concurrency: options.concurrency,
    concurrentReconciles: options.concurrentReconciles,
    watch: options.watch,
    engine: options.engine,
  });
  const app = await createArtifactServer({ root: storageRoot, logger: options.logger });
  registerApi(app, runner);
  app.get("/metrics", async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  const { host, port } = parseListenAddress(options.listen);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shownHost =
    host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${address.port}`;
  baseUrl = advertisedUrl(options.advertiseAddress, url);
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

function advertisedUrl(advertise: string | undefined, listening: string): string {
  if (advertise === undefined || advertise === "") return listening;
  return /^https?:\/\//.test(advertise) ? advertise : `http://${advertise}`;
}
