// POST /hooks/<kind>: authenticate, parse, match to Buckets, debounce, wake. The same routes in both runtimes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { SecretReader } from "../credentials/secret.js";
import type { ObjectChange } from "../source/object-change.js";
import { hasHookCredentials, isAuthorized, type HookCredentials } from "./auth.js";
import { parseAzurePayload } from "./azure-payload.js";
import { hookSecretsByKind, type HookSecretRef } from "./config.js";
import { WakeDebouncer, type Wake } from "./debounce.js";
import { parseGcsPayload } from "./gcs-payload.js";
import { parseGenericPayload } from "./generic-payload.js";
import { HOOK_KINDS, isHookKind, type HookKind } from "./kinds.js";
import { matchEvents, subjectSpec, type HookSubject } from "./match.js";
import { HookPayloadError, type HookMessage } from "./message.js";
import { parseS3Payload } from "./s3-payload.js";
import { SecretCache } from "./secret-cache.js";

/** Largest hook body accepted (413 beyond): Event Grid batches are at most 1 MB. */
export const HOOK_BODY_LIMIT = 1024 * 1024;
/** Default debounce window per Bucket. */
export const HOOK_DEBOUNCE_MS = 200;

export interface HookRouteOptions {
  /** The Secret of each enabled kind; a kind without one answers 404. */
  secrets: readonly HookSecretRef[];
  /** The runtime's Secret reader (standalone: the config folder; controller: the API server). */
  readSecret: SecretReader;
  /** How long a Secret read is reused (0: every request reads it). */
  secretTtlMs: number;
  /** The Buckets this process reconciles now. */
  subjects: () => Iterable<HookSubject>;
  /** Reconciles a Bucket with the changes events named (undefined: a full listing). */
  wake: Wake;
  /** Why this process cannot act on events now (a standby, not yet synced): answered 503 so the sender retries. */
  unavailable?: () => string | undefined;
  logger: Logger;
  debounceMs?: number;
  bodyLimit?: number;
  /** Clock of the Secret cache (tests). */
  now?: () => number;
}

const PARSERS: Readonly<Record<HookKind, (body: Buffer) => HookMessage>> = {
  s3: parseS3Payload,
  gcs: parseGcsPayload,
  azure: parseAzurePayload,
  generic: parseGenericPayload,
};

type HookRequest = FastifyRequest<{ Params: { kind: string }; Querystring: Record<string, unknown> }>;

/**
 * Registers POST /hooks/:kind (and OPTIONS /hooks/azure, the CloudEvents webhook handshake) on `app`, in their
 * own scope so every body arrives raw (signatures cover the bytes; SNS posts text/plain). Throws when a kind
 * is configured twice.
 */
export function registerHooks(app: FastifyInstance, options: HookRouteOptions): void {
  const secrets = hookSecretsByKind(options.secrets);
  const cache = new SecretCache(options.readSecret, options.secretTtlMs, 1000, options.now);
  const debouncer = new WakeDebouncer(options.debounceMs ?? HOOK_DEBOUNCE_MS, options.wake);
  const log = options.logger.child({ component: "hooks" });
  const bodyLimit = options.bodyLimit ?? HOOK_BODY_LIMIT;
  // The query may carry the token: request logs show the path only.
  const logSerializers = {
    req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url?.split("?")[0] }),
  };

  const handle = async (req: HookRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const kind = req.params.kind;
    if (!isHookKind(kind))
      return reply
        .code(404)
        .send({ error: `unknown hook kind "${kind}"; use one of ${HOOK_KINDS.join(", ")}` });
    const ref = secrets.get(kind);
    if (!ref)
      return reply.code(404).send({
        error: `the ${kind} hook is not enabled; start with --hook-secret ${kind}=<namespace>/<secretName>`,
      });
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const auth = await authenticate(ref, credentialsOf(req, body));
    if (auth === "unavailable")
      return reply.code(503).header("retry-after", "5").send({ error: "the hook Secret cannot be read now" });
    if (auth === "denied") {
      return reply.code(401).header("www-authenticate", "Bearer").send({
        error: "unauthorized: send the hook token (Authorization: Bearer, or ?token=) or an X-Signature HMAC",
      });
    }
    const down = options.unavailable?.();
    if (down) return reply.code(503).header("retry-after", "5").send({ error: down });
    let message: HookMessage;
    try {
      message = PARSERS[kind](body);
    } catch (error) {
      if (error instanceof HookPayloadError) return reply.code(400).send({ error: error.message });
      throw error;
    }
    return dispatch(kind, message, reply);
  };

  const authenticate = async (
    ref: HookSecretRef,
    offered: HookCredentials,
  ): Promise<"ok" | "denied" | "unavailable"> => {
    const secretLog = { hook: ref.kind, secret: `${ref.namespace}/${ref.name}` };
    try {
      const secret = await cache.get(ref.namespace, ref.name);
      if (secret && isAuthorized(secret, offered)) return "ok";
      // A rotated Secret: read it again (at most once a second) before refusing.
      const fresh = await cache.get(ref.namespace, ref.name, { refresh: true });
      if (fresh && isAuthorized(fresh, offered)) return "ok";
      if (!fresh || !hasHookCredentials(fresh))
        log.warn(secretLog, "the hook Secret is missing or has neither a token nor an hmacKey; refusing");
      else log.debug(secretLog, "hook request refused: wrong or missing credentials");
      return "denied";
    } catch (error) {
      log.warn(
        { ...secretLog, err: error instanceof Error ? error.message : String(error) },
        "reading the hook Secret failed",
      );
      return "unavailable";
    }
  };

  const dispatch = (kind: HookKind, message: HookMessage, reply: FastifyReply): FastifyReply => {
    switch (message.type) {
      case "reply":
        if (message.notice) log.info({ hook: kind }, message.notice);
        return reply.code(200).send(message.body);
      case "bucket":
        return wakeNamed(message.namespace, message.name, message.changes, reply);
      case "events": {
        const matched = matchEvents(kind, message.events, options.subjects());
        for (const m of matched) debouncer.add(m.ref, m.changes);
        const accepted = matched.map((m) => `${m.ref.namespace}/${m.ref.name}`);
        if (accepted.length === 0)
          log.debug(
            {
              hook: kind,
              events: message.events.length,
              buckets: [...new Set(message.events.map((e) => e.bucket))],
            },
            "bucket events concern no Bucket; ignored",
          );
        else log.debug({ hook: kind, events: message.events.length, accepted }, "bucket events accepted");
        return reply.code(202).send({ accepted, events: message.events.length, ignored: message.ignored });
      }
    }
  };

  const wakeNamed = (
    namespace: string,
    name: string,
    changes: ObjectChange[] | undefined,
    reply: FastifyReply,
  ): FastifyReply => {
    const subject = [...options.subjects()].find((s) => s.namespace === namespace && s.name === name);
    if (!subject) return reply.code(404).send({ error: `Bucket ${namespace}/${name} not found` });
    const spec = subjectSpec(subject);
    const key = `${namespace}/${name}`;
    if (spec?.suspend) return reply.code(202).send({ accepted: [], suspended: [key] });
    const under = spec ? changes?.filter((c) => c.key.startsWith(spec.prefix)) : changes;
    if (under?.length === 0)
      return reply
        .code(202)
        .send({ accepted: [], events: changes?.length ?? 0, ignored: changes?.length ?? 0 });
    debouncer.add(
      { namespace, name },
      under?.map((change) => ({ change })),
    );
    return reply.code(202).send({ accepted: [key], events: under?.length ?? 0, ignored: 0 });
  };

  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_req, payload, parsed) => {
      parsed(null, payload);
    });
    scope.post("/hooks/:kind", { bodyLimit, logSerializers }, handle);
    // CloudEvents abuse protection (Event Grid with the CloudEvents schema): allow the sender that asks.
    scope.options<{ Params: { kind: string } }>("/hooks/:kind", { logSerializers }, (req, reply) => {
      if (req.params.kind !== "azure" || !secrets.has("azure"))
        return reply.code(404).send({ error: "not found" });
      const origin = req.headers["webhook-request-origin"];
      return reply
        .code(200)
        .header("webhook-allowed-origin", typeof origin === "string" ? origin : "*")
        .header("webhook-allowed-rate", "*")
        .header("allow", "POST, OPTIONS")
        .send();
    });
    scope.addHook("onClose", (_instance, closed) => {
      debouncer.close();
      closed();
    });
    done();
  });
}

function credentialsOf(req: HookRequest, body: Buffer): HookCredentials {
  const header = (name: string): string | undefined => {
    const value = req.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  const token = req.query.token;
  return {
    authorization: header("authorization"),
    queryToken: typeof token === "string" ? token : undefined,
    signature: header("x-signature"),
    body,
  };
}
