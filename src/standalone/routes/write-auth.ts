// Who may call the API's write routes (POST, PUT, PATCH, DELETE under /api/): with a token configured, only
// requests bearing it; without one, only when the server listens on loopback (nobody else can reach it).
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";

export interface WriteAuthOptions {
  /** The host the server listens on (0.0.0.0, ::, 127.0.0.1, a name…). */
  listenHost: string;
  /** The bearer token write requests must carry; undefined: none configured. */
  apiToken?: string;
}

/** Whether a listen host is loopback only: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::ffff:127.0.0.1";
}

/**
 * Adds an onRequest hook answering 401 to a write request under /api/ without `Authorization: Bearer <token>`
 * when a token is configured, or when none is and the server listens beyond loopback (then no write is allowed).
 */
export function registerWriteAuth(app: FastifyInstance, options: WriteAuthOptions): void {
  const open = options.apiToken === undefined && isLoopbackHost(options.listenHost);
  if (open) return;
  const expected = options.apiToken === undefined ? undefined : digest(options.apiToken);
  app.addHook("onRequest", async (req, reply) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return;
    if (!req.url.startsWith("/api/")) return;
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // Compare digests: equal lengths for timingSafeEqual, and no timing hint about the token.
    if (expected && match?.[1] && timingSafeEqual(digest(match[1]), expected)) return;
    const error =
      expected === undefined
        ? `this server listens on ${options.listenHost}, beyond loopback: writes need a token; start it with --api-token-file (or --api-token) and send Authorization: Bearer <token> (bucketops --token or BUCKETOPS_TOKEN)`
        : "this write needs Authorization: Bearer <token> (bucketops --token or BUCKETOPS_TOKEN)";
    await reply.code(401).header("www-authenticate", 'Bearer realm="bucketops"').send({ error });
    return reply;
  });
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
