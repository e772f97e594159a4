// What both runtimes serve: the artifact store, its HTTP server and a Prometheus registry behind /metrics.
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { ArtifactStore } from "./artifact-store.js";
import { createArtifactServer, parseListenAddress } from "./http-server.js";

export interface ServingOptions {
  storageRoot: string;
  retentionRecords: number;
  retentionTtlMs: number;
  logger: Logger;
}

export interface Serving {
  store: ArtifactStore;
  registry: Registry;
  /** Add routes before calling listen(). */
  app: FastifyInstance;
  /**
   * Listens on `[host]:port` (port 0 picks one) and returns the URL it answers on. Artifact URLs use
   * `advertise` (host[:port] or URL) when given, else that URL.
   */
  listen(address: string, advertise?: string): Promise<string>;
  /** Removes temp files an interrupted run left under the storage root (see ArtifactStore.sweepTemp); logs how many. */
  sweepTemp(): Promise<void>;
}

/** Creates the store, the server (with /metrics) and the registry; nothing listens yet. */
export async function createServing(options: ServingOptions): Promise<Serving> {
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
  const app = await createArtifactServer({ root: storageRoot, logger: options.logger });
  app.get("/metrics", async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return {
    store,
    registry,
    app,
    async listen(address: string, advertise?: string): Promise<string> {
      const { host, port } = parseListenAddress(address);
      await app.listen({ host, port });
      const bound = app.server.address() as AddressInfo;
      const shownHost =
        host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
      const url = `http://${shownHost}:${bound.port}`;
      baseUrl = !advertise ? url : /^https?:\/\//.test(advertise) ? advertise : `http://${advertise}`;
      return url;
    },
    async sweepTemp(): Promise<void> {
      const removed = await store.sweepTemp();
      if (removed.length > 0)
        options.logger.info({ files: removed.length }, "removed temp files left by an interrupted run");
    },
  };
}
