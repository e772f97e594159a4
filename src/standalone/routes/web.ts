// The dashboard: the static files `npm run build` writes to dist/web (source in web/), served at /.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** dist/web, whether this module runs from dist/src/standalone/routes or (tests, tsx) from src/standalone/routes. */
export function webRoot(): string {
  const up = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  return path.basename(up) === "dist" ? path.join(up, "web") : path.join(up, "dist", "web");
}

/** Serves the built dashboard at /; without a build, / says how to make one (the API works either way). */
export async function registerWeb(app: FastifyInstance, root: string = webRoot()): Promise<void> {
  if (!existsSync(path.join(root, "index.html"))) {
    app.get("/", (_req, reply) =>
      reply.type("text/plain; charset=utf-8").send("The dashboard is not built: run `npm run build`.\n"),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    wildcard: false, // only the built files: unknown paths stay 404s, not the page
    index: ["index.html"],
    decorateReply: false,
    cacheControl: false,
    etag: true,
  });
}
