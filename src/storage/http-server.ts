// The artifact server: read-only HTTP over the storage root's bucket/ folder, plus /healthz.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";

export interface ServerOptions {
  root: string;
  logger: Logger;
}

/**
 * Creates (does not start) the HTTP server. Only `bucket/` is served: the content cache and runtime state
 * beside it never are. Dotfiles (temp files) are refused. Runtimes add their own routes before listening.
 */
export async function createArtifactServer(options: ServerOptions): Promise<FastifyInstance> {
  // Request logs at debug level only; the runtimes log what matters (reconciles, events).
  const logger = options.logger.child({ component: "http" }, { level: "warn" }) as FastifyBaseLogger;
  const app = Fastify({ loggerInstance: logger });
  const served = path.join(path.resolve(options.root), "bucket");
  await mkdir(served, { recursive: true });
  await app.register(fastifyStatic, {
    root: served,
    prefix: "/bucket/",
    dotfiles: "deny",
    etag: true,
    lastModified: true,
    index: false,
    list: false,
    decorateReply: false,
    cacheControl: false,
  });
  app.get("/healthz", () => ({ status: "ok" }));
  return app;
}

/** Parses ":9090", "9090" or "127.0.0.1:9090" into a host and port for listen(). */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = /^(?:(.*):)?(\d+)$/.exec(address.trim());
  if (!match)
    throw new Error(`listen address "${address}" is invalid; use [host]:port, e.g. :9090 or 127.0.0.1:9090`);
  const host = match[1] === undefined || match[1] === "" ? "0.0.0.0" : match[1].replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(match[2]) };
}
