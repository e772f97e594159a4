// GET /api/events/stream: server-sent events the dashboard listens to instead of polling. Each Bucket change is an
// `bucket` event carrying the Bucket's view (as GET /api/buckets/<ns>/<name> answers), `removed` names a Bucket
// gone from the folder, `folder` asks for a fresh list (the folder was re-read).
import type { FastifyInstance } from "fastify";
import type { RunnerEvent } from "../bucket-events.js";
import type { StandaloneRunner } from "../runner.js";

/** Keeps proxies and the browser from timing an idle stream out. */
const HEARTBEAT_MS = 15_000;

/** Registers the stream; open streams are ended when the server closes. */
export function registerEventStream(app: FastifyInstance, runner: StandaloneRunner): void {
  const open = new Set<() => void>();
  app.addHook("preClose", (done) => {
    for (const end of open) end();
    done();
  });

  app.get("/api/events/stream", (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    send("hello", { items: runner.list(), problems: runner.folderProblems() });
    const unsubscribe = runner.updates.subscribe((event: RunnerEvent) => {
      if (event.type === "bucket") {
        const view = runner.get(event.namespace, event.name);
        if (view) send("bucket", view);
      } else if (event.type === "removed") send("removed", { namespace: event.namespace, name: event.name });
      else send("folder", { items: runner.list(), problems: runner.folderProblems() });
    });
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    const end = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(end);
      res.end();
    };
    open.add(end);
    req.raw.on("close", end);
  });
}
