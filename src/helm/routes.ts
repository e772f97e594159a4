// GET /helm/<namespace>/<name>/index.yaml and /<chart>-<version>.tgz: a Bucket's current published state as a Helm
// chart repository, on the runtime's own server (standalone and controller register the same routes).
import { createReadStream } from "node:fs";
import path from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { RepoLocation } from "./chart-urls.js";
import { challenge, isAuthorized, repoAuthFromSecret, RepoAuthError } from "./repo-auth.js";
import { HelmViewCache } from "./view-cache.js";

/** A Bucket as the routes need it; the runtime resolves it from its own records. */
export interface HelmRepoSubject {
  /** spec.helmRepository of the normalized spec; undefined: the Bucket is not a chart repository (404). */
  helmRepository?: { secretRef?: { name: string } };
  location: RepoLocation;
  /** status.artifact: the published state; undefined until the first publish (503). */
  artifact?: { path: string; digest: string; lastUpdateTime: string };
}

export interface HelmRouteOptions {
  /** The Bucket, or undefined when this runtime has none by that name. */
  lookup(namespace: string, name: string): HelmRepoSubject | undefined;
  readSecret(namespace: string, name: string): Promise<Readonly<Record<string, string>> | undefined>;
  /** Absolute path of a stored artifact (ArtifactStore.absolute). */
  artifactFile(relativePath: string): string;
  /** The storage root; views are kept under its helm/ folder. */
  storageRoot: string;
  logger: Logger;
}

type Params = { namespace: string; name: string; file: string };

/**
 * Registers the repository routes. 404 for an unknown Bucket, one without spec.helmRepository or an unknown chart;
 * 503 (Retry-After) before the first artifact or when the artifact cannot be read; 401 with WWW-Authenticate when
 * spec.helmRepository.secretRef is set and the request lacks its credentials. Also GET …/problems.json: the charts
 * and files the current view left out, and why.
 */
export function registerHelmRoutes(app: FastifyInstance, options: HelmRouteOptions): void {
  const cache = new HelmViewCache(path.join(options.storageRoot, "helm"), options.logger);
  const logger = options.logger.child({ component: "helm" });
  app.get<{ Params: Params }>("/helm/:namespace/:name/:file", async (req, reply) => {
    const { namespace, name, file } = req.params;
    const subject = options.lookup(namespace, name);
    if (!subject?.helmRepository)
      return reply
        .code(404)
        .send({ error: `Bucket ${namespace}/${name} is not served as a Helm repository` });
    if (!(await authorize(req, reply, subject, namespace, name))) return reply;
    const artifact = subject.artifact;
    if (!artifact)
      return reply.code(503).header("retry-after", "5").send({ error: "the Bucket has no artifact yet" });
    let view;
    try {
      view = await cache.view(namespace, name, {
        artifactFile: options.artifactFile(artifact.path),
        digest: artifact.digest,
        lastUpdateTime: artifact.lastUpdateTime,
        location: subject.location,
      });
    } catch (error: unknown) {
      logger.warn({ bucket: `${namespace}/${name}`, err: (error as Error).message }, "helm view failed");
      return reply
        .code(503)
        .header("retry-after", "5")
        .send({ error: "the published artifact cannot be read" });
    }
    if (file === "index.yaml")
      return sendFile(req, reply, view.indexFile, view.indexDigest, "application/x-yaml");
    if (file === "problems.json") return { artifact: view.artifactDigest, problems: view.problems };
    const chart = view.charts.get(file);
    if (!chart) return reply.code(404).send({ error: `no chart ${file} in ${namespace}/${name}` });
    return sendFile(req, reply, chart.file, chart.digest, "application/gzip", chart.size);
  });

  async function authorize(
    req: FastifyRequest,
    reply: FastifyReply,
    subject: HelmRepoSubject,
    namespace: string,
    name: string,
  ): Promise<boolean> {
    const secretName = subject.helmRepository?.secretRef?.name;
    if (secretName === undefined) return true;
    const data = await options.readSecret(namespace, secretName).catch(() => undefined);
    let auth;
    try {
      if (!data) throw new RepoAuthError(`Secret ${namespace}/${secretName} not found`);
      auth = repoAuthFromSecret(data, `${namespace}/${secretName}`);
    } catch (error: unknown) {
      // Fail closed: a repository meant to be protected is never served open.
      logger.warn(
        { bucket: `${namespace}/${name}`, err: (error as Error).message },
        "helm repository credentials",
      );
      await reply.code(503).send({ error: "the repository's credentials Secret is missing or invalid" });
      return false;
    }
    if (isAuthorized(auth, req.headers.authorization)) return true;
    await reply
      .code(401)
      .header("www-authenticate", challenge(auth, `bucketops helm ${namespace}/${name}`))
      .send({ error: "credentials required" });
    return false;
  }
}

function sendFile(
  req: FastifyRequest,
  reply: FastifyReply,
  file: string,
  digestHex: string,
  type: string,
  size?: number,
): FastifyReply {
  const etag = `"${digestHex}"`;
  reply.header("etag", etag).header("cache-control", "no-cache");
  if (req.headers["if-none-match"] === etag) return reply.code(304).send();
  if (size !== undefined) reply.header("content-length", size);
  return reply.type(type).send(createReadStream(file));
}
