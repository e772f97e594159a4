// spec.sts.provider: ldap — MinIO's AssumeRoleWithLDAPIdentity: an LDAP username + password (Secret keys
// `username`, `password`, as in Flux) are exchanged at the STS endpoint for temporary S3 credentials, which are
// cached until shortly before they expire. Messages name the endpoint, the user and MinIO's error code; the
// password never appears in them.
import { createHash } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { XMLParser } from "fast-xml-parser";
import { SpecError } from "../api/errors.js";
import { buildAgents } from "../net/agents.js";
import { errorCode } from "../net/network-errors.js";
import { CredentialsError, type S3Credentials, type SecretData } from "./secret.js";
import type { TransportOptions } from "./transport.js";

export const STS_VERSION = "2011-06-15";
const MAX_RESPONSE_BYTES = 1 << 20;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Temporary credentials from an STS; `expiration` is when the server stops accepting them. */
export interface TemporaryCredentials extends S3Credentials {
  sessionToken: string;
  expiration: Date;
}

/** A credential provider as the AWS SDK takes it: called before requests, again when `expiration` nears. */
export type S3CredentialProvider = () => Promise<S3Credentials & { expiration?: Date }>;

export interface LdapStsRequest {
  /** http(s) URL of MinIO's STS API: the server's S3 URL, e.g. https://minio.example.com:9000. */
  endpoint: string;
  username: string;
  password: string;
  /** sts.certSecretRef (CA / client certificate for the STS endpoint) and the Bucket's proxy. */
  transport: TransportOptions;
  /** Asks for this lifetime (DurationSeconds); the server's default (MinIO: 1h) when omitted. */
  durationSeconds?: number;
  timeoutMs?: number;
}

/** Reads the sts.secretRef Secret: `username` and `password`, both non-empty (Flux's rule). */
export function ldapLoginFromSecret(
  data: SecretData,
  secretName: string,
): { username: string; password: string } {
  const username = data.username?.trim();
  const password = data.password;
  const missing = [!username ? "username" : "", !password ? "password" : ""].filter(Boolean);
  if (!username || !password) {
    const present = Object.keys(data).sort().join(", ") || "none";
    throw new CredentialsError(
      `Secret '${secretName}' (spec.sts.secretRef) lacks ${missing.join(" and ")} for the ldap STS provider ` +
        `(keys present: ${present})`,
    );
  }
  return { username, password };
}

/** Checks spec.sts.endpoint is an http(s) URL (Flux's CRD pattern ^(http|https)://). */
export function stsEndpointUrl(endpoint: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new SpecError(
      `spec.sts.endpoint: "${endpoint}" must be an http:// or https:// URL (e.g. https://minio.example.com:9000)`,
      "URLInvalid",
    );
  }
  return url;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  // Decodes numeric character references too (MinIO writes quotes in messages as &#34;); the option's
  // replacement (`entityDecoder`) needs another package.
  htmlEntities: true,
  trimValues: true,
});

type XmlNode = Record<string, unknown>;

function parseXml(xml: string): XmlNode | undefined {
  let parsed: unknown;
  try {
    parsed = parser.parse(xml);
  } catch {
    return undefined;
  }
  return isNode(parsed) ? parsed : undefined;
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function child(node: unknown, name: string): unknown {
  return isNode(node) ? node[name] : undefined;
}

function text(node: unknown): string | undefined {
  if (typeof node === "string") return node;
  if (typeof node === "number" || typeof node === "boolean") return String(node);
  return undefined;
}

/**
 * Parses an AssumeRoleWithLDAPIdentityResponse (AWS STS response shape: ...Result/Credentials with
 * AccessKeyId, SecretAccessKey, SessionToken, Expiration). Throws an Error naming what is missing.
 */
export function parseLdapStsResponse(xml: string): TemporaryCredentials {
  const doc = parseXml(xml);
  const credentials = child(
    child(child(doc, "AssumeRoleWithLDAPIdentityResponse"), "AssumeRoleWithLDAPIdentityResult"),
    "Credentials",
  );
  if (!isNode(credentials)) {
    throw new Error("the answer is not an AssumeRoleWithLDAPIdentityResponse with Credentials");
  }
  const accessKeyId = text(credentials.AccessKeyId);
  const secretAccessKey = text(credentials.SecretAccessKey);
  const sessionToken = text(credentials.SessionToken);
  const expirationText = text(credentials.Expiration);
  const expiration = expirationText === undefined ? undefined : new Date(expirationText);
  const missing = [
    accessKeyId ? "" : "AccessKeyId",
    secretAccessKey ? "" : "SecretAccessKey",
    sessionToken ? "" : "SessionToken",
    expiration && !Number.isNaN(expiration.getTime()) ? "" : "Expiration",
  ].filter(Boolean);
  if (!accessKeyId || !secretAccessKey || !sessionToken || !expiration || missing.length > 0) {
    throw new Error(`the STS response lacks ${missing.join(", ")}`);
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration };
}

/** Parses an STS ErrorResponse (or an S3-style Error) into its Code and Message; undefined if it is neither. */
export function parseStsError(xml: string): { code: string; message: string } | undefined {
  const doc = parseXml(xml);
  const error = child(child(doc, "ErrorResponse"), "Error") ?? child(doc, "Error");
  const code = text(child(error, "Code"));
  if (code === undefined || code === "") return undefined;
  return { code, message: text(child(error, "Message")) ?? "" };
}

/**
 * Calls AssumeRoleWithLDAPIdentity once. Every failure is a CredentialsError (→ AuthenticationFailed) whose
 * message names the endpoint, the user and what the server said, with the password redacted.
 */
export async function assumeRoleWithLdapIdentity(req: LdapStsRequest): Promise<TemporaryCredentials> {
  const url = stsEndpointUrl(req.endpoint);
  const where = `STS AssumeRoleWithLDAPIdentity at ${url.origin}${url.pathname === "/" ? "" : url.pathname}`;
  const fail = (detail: string, cause?: unknown): CredentialsError =>
    new CredentialsError(redact(`${where} failed for LDAP user '${req.username}': ${detail}`, req.password), {
      cause,
    });
  const form = new URLSearchParams({
    Action: "AssumeRoleWithLDAPIdentity",
    Version: STS_VERSION,
    LDAPUsername: req.username,
    LDAPPassword: req.password,
  });
  if (req.durationSeconds !== undefined) form.set("DurationSeconds", String(req.durationSeconds));

  let res: { status: number; contentType: string; body: string };
  try {
    res = await post(url, form.toString(), req.transport, req.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch (error) {
    throw fail(networkDetail(error, url), error);
  }
  if (res.status < 200 || res.status >= 300) {
    const stsError = parseStsError(res.body);
    if (stsError) throw fail(`${stsError.code}: ${stsError.message} (HTTP ${res.status})`);
    throw fail(
      `HTTP ${res.status} (${res.contentType || "no content type"}) instead of an STS answer; ` +
        "spec.sts.endpoint must be the MinIO server's URL, e.g. https://minio.example.com:9000",
    );
  }
  try {
    return parseLdapStsResponse(res.body);
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
}

function networkDetail(error: unknown, url: URL): string {
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return `no answer from ${url.host} in time`;
  switch (code) {
    case "ECONNREFUSED":
      return `connection to ${url.host} refused (${code}); check spec.sts.endpoint and that the server is up`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host ${url.hostname} not found (${code}); check spec.sts.endpoint`;
    case "EPROTO":
    case "ERR_SSL_WRONG_VERSION_NUMBER":
      return `TLS handshake with ${url.host} failed (${code}); is it plain HTTP? then use an http:// spec.sts.endpoint`;
    case "ERR_PROXY_REFUSED":
      return error instanceof Error ? error.message : "the proxy refused the tunnel";
    default:
      if (code?.includes("CERT") || code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE") {
        return `the TLS certificate of ${url.host} is not trusted (${code}); set spec.sts.certSecretRef to a Secret whose ca.crt holds the CA that signed it`;
      }
      return `${code ?? name}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function redact(message: string, secret: string): string {
  return secret.length > 0 ? message.split(secret).join("***") : message;
}

/** POSTs a form through agents built like the providers' (custom CA / client certificate, proxy). */
async function post(
  url: URL,
  body: string,
  transport: TransportOptions,
  timeoutMs: number,
): Promise<{ status: number; contentType: string; body: string }> {
  const agents = buildAgents(transport, 1);
  const secure = url.protocol === "https:";
  try {
    return await new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: "POST",
        agent: secure ? agents.httpsAgent : agents.httpAgent,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(body),
          accept: "application/xml",
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
      req.on("error", reject);
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy(new Error(`the STS answer exceeds ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", reject);
        res.on("end", () => {
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers["content-type"] ?? "",
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      });
      req.end(body);
    });
  } finally {
    agents.httpAgent.destroy();
    agents.httpsAgent.destroy();
  }
}

interface CacheEntry {
  promise: Promise<TemporaryCredentials>;
  /** Set once the call succeeded: when to ask again. */
  refreshAt?: number;
  expiresAt?: number;
}

/**
 * Temporary credentials per namespace + STS request content (endpoint, login, TLS, proxy, duration): one STS
 * call while they are fresh, a new one once `refreshAt` passes (the last fifth of their lifetime, at least
 * 5 minutes before they expire and never later than half-way). Concurrent callers share one call;
 * failures are not cached. Keys are hashes: the cache holds no password in clear as a key.
 */
export class LdapStsCache {
  /** STS calls sent, for tests and metrics. */
  requests = 0;
  private readonly entries = new Map<string, CacheEntry>();
  constructor(private readonly now: () => number = Date.now) {}

  async get(namespace: string, req: LdapStsRequest): Promise<TemporaryCredentials> {
    stsEndpointUrl(req.endpoint);
    const now = this.now();
    this.evictExpired(now);
    const key = cacheKey(namespace, req);
    const cached = this.entries.get(key);
    if (cached && (cached.refreshAt === undefined || now < cached.refreshAt)) return cached.promise;

    this.requests++;
    const entry: CacheEntry = { promise: assumeRoleWithLdapIdentity(req) };
    this.entries.set(key, entry);
    try {
      const credentials = await entry.promise;
      const issued = this.now();
      const expiresAt = credentials.expiration.getTime();
      const lifetime = Math.max(0, expiresAt - issued);
      const window = Math.min(lifetime / 2, Math.max(5 * 60_000, lifetime / 5));
      entry.expiresAt = expiresAt;
      entry.refreshAt = expiresAt - window;
      return credentials;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }

  private evictExpired(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}

function cacheKey(namespace: string, req: LdapStsRequest): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        namespace,
        req.endpoint,
        req.username,
        req.password,
        req.transport.tls ?? null,
        req.transport.proxy ?? null,
        req.durationSeconds ?? null,
      ]),
    )
    .digest("hex");
}

/** The process-wide cache the engine uses. */
export const ldapStsCache = new LdapStsCache();

/**
 * Fetches (or reuses) temporary credentials now, so a failure fails the reconcile with AuthenticationFailed
 * before any S3 request, and returns a provider the S3 client calls again when they near expiry (a refresh
 * failing mid-reconcile is a CredentialsError, also AuthenticationFailed).
 */
export async function ldapStsCredentialProvider(
  namespace: string,
  req: LdapStsRequest,
  cache: LdapStsCache = ldapStsCache,
): Promise<S3CredentialProvider> {
  await cache.get(namespace, req);
  return async () => {
    const { accessKeyId, secretAccessKey, sessionToken, expiration } = await cache.get(namespace, req);
    return { accessKeyId, secretAccessKey, sessionToken, expiration };
  };
}
