// GET /api/events/stream: server-sent events the dashboard listens to instead of polling. Each Bucket change is an
// `bucket` event carrying the Bucket's view (as GET /api/buckets/<ns>/<name> answers), `removed` names a Bucket
// gone from the folder, `folder` asks for a fresh list (the folder was re-read).
import type { FastifyInstance } from "fastify";
import type { RunnerEvent } from "../bucket-events.js";
import type { StandaloneRunner } from "../runner.js";
import { registerSse } from "./sse.js";

/** Registers the stream; open streams are ended when the server closes. */
export function registerEventStream(app: FastifyInstance, runner: StandaloneRunner): void {
  registerSse(app, "/api/events/stream", (send) => {
    send("hello", { items: runner.list(), problems: runner.folderProblems() });
    return runner.updates.subscribe((event: RunnerEvent) => {
      if (event.type === "bucket") {
        const view = runner.get(event.namespace, event.name);
        if (view) send("bucket", view);
      } else if (event.type === "removed") send("removed", { namespace: event.namespace, name: event.name });
      else send("folder", { items: runner.list(), problems: runner.folderProblems() });
    });
  });
}
