// A server-sent events endpoint: headers, heartbeat, and open streams ended when the server closes.
import type { FastifyInstance } from "fastify";

/** Keeps proxies and the browser from timing an idle stream out. */
const HEARTBEAT_MS = 15_000;

/** Writes one event to a stream. */
export type SendEvent = (event: string, data: unknown) => void;

/**
 * Registers GET `url` as an event stream: `open` is called per client with its `send` and returns what ends its
 * subscription (called when the client leaves or the server closes).
 */
export function registerSse(app: FastifyInstance, url: string, open: (send: SendEvent) => () => void): void {
  const streams = new Set<() => void>();
  app.addHook("preClose", (done) => {
    for (const end of streams) end();
    done();
  });

  app.get(url, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    const send: SendEvent = (event, data) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const unsubscribe = open(send);
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    const end = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    req.raw.on("close", end);
  });
}
