// Google Cloud Storage over its JSON API (@google-cloud/storage 7.x; 8.x needs Node 22).
import { createRequire } from "node:module";
import { PassThrough, type Readable } from "node:stream";
import {
  ApiError,
  IdempotencyStrategy,
  Storage,
  type File,
  type GetFilesOptions,
  type StorageOptions,
} from "@google-cloud/storage";
import type { ConnectionConfig } from "../credentials/resolve.js";
import { buildAgents, type Agents } from "../net/agents.js";
import { gcsGeneration, listGcsVersions } from "./gcs-versions.js";
import { createGcsWriter, type SeenObject } from "./gcs-write.js";
import { endpointUrl } from "./s3.js";
import {
  md5FromBase64,
  ProviderError,
  unquoteEtag,
  type BucketProvider,
  type BucketWriter,
  type GetOptions,
  type ObjectInfo,
  type ObjectVersion,
  type ProviderTuning,
  type VersioningState,
  notVersioned,
} from "./types.js";

export type GcsConnection = Extract<ConnectionConfig, { kind: "gcs" }>;

/** What the library's request interceptors receive and return (the type is not exported by name). */
type RequestOptions = ReturnType<Storage["interceptors"][number]["request"]>;

/** Objects per list page (the JSON API's maximum is 1000). */
export const GCS_PAGE_SIZE = 1000;

/**
 * Builds a provider for one GCS bucket. No request is sent until one of its methods is called.
 *
 * Authentication:
 * - no `endpoint`: the Secret's service-account key, or Application Default Credentials (workload identity,
 *   GOOGLE_APPLICATION_CREDENTIALS, the metadata server) when there is no secretRef;
 * - an `endpoint` and no secretRef: no authentication at all. This is how emulators such as fake-gcs-server are
 *   used; neither the metadata server nor oauth2.googleapis.com is ever contacted;
 * - an `endpoint` and a secretRef: the key is validated, and OAuth tokens are sent only to an https endpoint
 *   (a private or restricted Google endpoint). A plain-http endpoint (`insecure: true` or `http://`) is taken to
 *   be an emulator: the key is not used to sign tokens (a bearer token is never sent in clear text).
 */
export function createGcsProvider(
  config: GcsConnection,
  tuning: ProviderTuning,
): BucketProvider & BucketWriter {
  const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
  const { storage, agents, authAgent, useAuth } = makeStorage(config, tuning);
  const bucketName = config.bucketName;
  const bucket = storage.bucket(bucketName);
  /** key → what the listing (or stat, or a write) saw, so a download is conditional on that generation. */
  const listed = new Map<string, SeenObject>();
  let authorized: Promise<void> | undefined;

  // Fetches a token once up front when authenticating, so credential problems surface as Unauthorized
  // with the auth library's own reason (not as an anonymous 401 from the API).
  const authorize = (): Promise<void> => {
    if (!useAuth) return Promise.resolve();
    authorized ??= storage.authClient.getAccessToken().then(
      () => undefined,
      (error: unknown) => {
        authorized = undefined;
        throw authError(error, `gs://${bucketName}`);
      },
    );
    return authorized;
  };

  // Bucket metadata (storage.buckets.get): GCS has no suspended state, versioning is on or off.
  const versioningOf = async (what: string, signal: AbortSignal | undefined): Promise<VersioningState> => {
    requests.list++;
    try {
      await abortable(authorize(), signal);
      const [metadata] = await abortable(bucket.getMetadata(), signal);
      return metadata.versioning?.enabled === true ? "enabled" : "disabled";
    } catch (error) {
      const status = httpStatus(error);
      // objects.list/get (roles/storage.objectViewer) do not include it: say which permission is missing.
      throw classify(
        error,
        status === 403 ? `${what} (bucket metadata needs storage.buckets.get)` : what,
        "list",
      );
    }
  };

  const provider: BucketProvider & BucketWriter = {
    requests,
    ...createGcsWriter({
      bucket,
      bucketName,
      requests,
      seen: listed,
      ready: (signal) => abortable(authorize(), signal),
      abortable,
      stat: (key, signal) => provider.stat(key, signal),
      toInfo,
      classify,
    }),
    async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
      const what = `list gs://${bucketName}/${prefix}`;
      try {
        await abortable(authorize(), signal);
        let pageToken: string | undefined;
        do {
          signal?.throwIfAborted();
          requests.list++;
          const query: GetFilesOptions = { autoPaginate: false, maxResults: GCS_PAGE_SIZE };
          if (prefix !== "") query.prefix = prefix;
          if (pageToken !== undefined) query.pageToken = pageToken;
          const [files, next] = await abortable(bucket.getFiles(query), signal);
          for (const file of files) {
            const info = toInfo(file);
            listed.set(info.key, { etag: info.etag, generation: info.versionId });
            yield info;
          }
          pageToken = next && "pageToken" in next ? next.pageToken : undefined;
        } while (pageToken);
      } catch (error) {
        throw classify(error, what, "list");
      }
    },
    async get(key: string, options: GetOptions = {}): Promise<Readable> {
      requests.get++;
      const what = `get gs://${bucketName}/${key}`;
      try {
        await abortable(authorize(), options.signal);
        if (options.versionId !== undefined) {
          // A generation's bytes never change: the generation alone pins them (the etag condition is moot).
          const generation = gcsGeneration(options.versionId, what);
          return await openStream(bucket.file(key, { generation }), what, options.signal);
        }
        const file = bucket.file(key);
        const seen = listed.get(key);
        if (seen?.generation !== undefined && (options.etag === undefined || options.etag === seen.etag)) {
          // Only the generation that was listed (and indexed) may be stored under its etag: a newer one
          // fails with 412, a Transient error the fetch retries and the next reconcile lists afresh.
          const generation = seen.generation;
          file.interceptors.push({
            request: (reqOpts) => {
              const opts = reqOpts as RequestOptions;
              opts.qs = { ...(opts.qs as object | undefined), ifGenerationMatch: generation };
              return opts;
            },
          });
        }
        return await openStream(file, what, options.signal);
      } catch (error) {
        throw classify(error, what, "get");
      }
    },
    async stat(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
      const what = `stat gs://${bucketName}/${key}`;
      requests.head++;
      try {
        await abortable(authorize(), signal);
        const file = bucket.file(key);
        try {
          await abortable(file.getMetadata(), signal);
        } catch (error) {
          if (httpStatus(error) !== 404) throw error;
          // GCS answers 404 for a missing bucket too, told apart only by message text: a one-key listing says
          // which (storage.objects.list, a permission the reader has; buckets.get may not be granted).
          requests.head++;
          await abortable(bucket.getFiles({ autoPaginate: false, maxResults: 1, prefix: key }), signal);
          listed.delete(key);
          return undefined;
        }
        const info = toInfo(file);
        // A get after this stat downloads the generation it saw, as after a listing.
        listed.set(info.key, { etag: info.etag, generation: info.versionId });
        return info;
      } catch (error) {
        throw classify(error, what, "list");
      }
    },
    async versioning(signal?: AbortSignal): Promise<VersioningState> {
      return versioningOf(`versioning gs://${bucketName}`, signal);
    },
    async *listVersions(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectVersion> {
      const what = `list versions gs://${bucketName}/${prefix}`;
      if ((await versioningOf(what, signal)) === "disabled")
        throw notVersioned(what, "the bucket's versioning.enabled is not true");
      try {
        yield* listGcsVersions(bucket, {
          prefix,
          signal,
          requests,
          pageSize: GCS_PAGE_SIZE,
          toInfo,
          abortable,
        });
      } catch (error) {
        throw classify(error, what, "list");
      }
    },
    close(): void {
      agents?.httpAgent.destroy();
      agents?.httpsAgent.destroy();
      authAgent?.destroy();
    },
  };
  return provider;
}

function makeStorage(
  config: GcsConnection,
  tuning: ProviderTuning,
): { storage: Storage; agents?: Agents; authAgent?: Agents["httpsAgent"]; useAuth: boolean } {
  // STORAGE_EMULATOR_HOST is the Google SDKs' convention for pointing every client at an emulator; a Bucket's
  // own spec.endpoint wins over it. Emulators are plain HTTP unless the variable says https://.
  const emulator = process.env.STORAGE_EMULATOR_HOST;
  const apiEndpoint =
    config.endpoint !== undefined
      ? gcsEndpointUrl(config.endpoint, config.insecure)
      : emulator
        ? gcsEndpointUrl(emulator, true)
        : undefined;
  const plainHttp = apiEndpoint?.startsWith("http://") ?? false;
  const useAuth = apiEndpoint === undefined || (config.credentials !== undefined && !plainHttp);
  const options: StorageOptions = {
    timeout: tuning.requestTimeoutMs,
    // The engine retries whole objects too; keep the library's own retries short (seconds). Every call this
    // provider makes may be retried (reads; deletes, which ignore 404; uploads retry in gcs-write.ts, the library
    // sends them once): without RetryAlways the library turns autoRetry off on the shared client while a delete
    // without precondition runs, for every concurrent read too.
    retryOptions: {
      autoRetry: true,
      maxRetries: 2,
      maxRetryDelay: 4,
      totalTimeout: 120,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
  };
  if (apiEndpoint !== undefined) {
    options.apiEndpoint = apiEndpoint;
    // With a custom endpoint the library sends no credentials unless told to (see the doc comment above).
    options.useAuthWithCustomEndpoint = useAuth;
  }
  if (config.credentials !== undefined) {
    options.credentials = {
      client_email: config.credentials.client_email,
      private_key: config.credentials.private_key,
    };
    if (config.credentials.project_id !== undefined) options.projectId = config.credentials.project_id;
  }
  let authAgent: Agents["httpsAgent"] | undefined;
  if (useAuth && config.transport.proxy) {
    // Token requests (oauth2.googleapis.com, STS) go through the proxy too, but keep the public CAs:
    // a custom CA from certSecretRef is for the storage endpoint only.
    authAgent = buildAgents({ proxy: config.transport.proxy }, 4).httpsAgent;
    options.clientOptions = { transporterOptions: { agent: authAgent } };
  }

  // The library reads STORAGE_EMULATOR_HOST itself and then drops the /storage/v1 path; the endpoint was
  // resolved above, so it is hidden during construction (synchronous: nothing else runs meanwhile).
  delete process.env.STORAGE_EMULATOR_HOST;
  let storage: Storage;
  try {
    storage = new Storage(options);
  } finally {
    if (emulator !== undefined) process.env.STORAGE_EMULATOR_HOST = emulator;
  }
  const agents = attachAgents(storage, config, tuning);
  return { storage, agents, authAgent, useAuth };
}

/** `host[:port]` gets https unless insecure; the JSON API path (`/storage/v1`) is added by the library. */
export function gcsEndpointUrl(endpoint: string, insecure: boolean): string {
  return endpointUrl(endpoint, insecure)
    .replace(/\/+$/, "")
    .replace(/\/storage\/v1$/, "");
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP agents. @google-cloud/storage 7.x sends JSON API requests (list, download) through teeny-request, which
// takes no agent option: it picks the process-wide keep-alive pool (or an env proxy) in its `getAgent`. We wrap
// that function once so a request carrying our marker option uses this provider's agents (pool size, custom
// CA / client certificate, proxy); every other request keeps teeny-request's behaviour.

const AGENT_OPTION = "bucketopsAgent";
type AgentPicker = (uri: string) => Agents["httpAgent"] | Agents["httpsAgent"];
let agentHook: boolean | undefined;

function installAgentHook(): boolean {
  if (agentHook !== undefined) return agentHook;
  agentHook = false;
  try {
    const require = createRequire(import.meta.url);
    const fromStorage = createRequire(require.resolve("@google-cloud/storage"));
    const agentsModule = fromStorage("teeny-request/build/src/agents.js") as Record<string, unknown>;
    const original = agentsModule.getAgent;
    if (typeof original !== "function") return agentHook;
    const fallback = original as (uri: string, reqOpts: Record<string, unknown>) => unknown;
    agentsModule.getAgent = (uri: string, reqOpts: Record<string, unknown>): unknown => {
      const pick = reqOpts[AGENT_OPTION];
      return typeof pick === "function" ? (pick as AgentPicker)(uri) : fallback(uri, reqOpts);
    };
    agentHook = true;
  } catch {
    // A future teeny-request layout: fall through to the library's own agents (see attachAgents).
  }
  return agentHook;
}

function attachAgents(storage: Storage, config: GcsConnection, tuning: ProviderTuning): Agents | undefined {
  if (!installAgentHook()) {
    if (config.transport.tls || config.transport.proxy) {
      throw new ProviderError(
        "Invalid",
        `gs://${config.bucketName}: certSecretRef/proxySecretRef cannot be applied with this @google-cloud/storage version`,
      );
    }
    return undefined;
  }
  const agents = buildAgents(config.transport, tuning.maxSockets);
  const pick: AgentPicker = (uri) => (uri.startsWith("http://") ? agents.httpAgent : agents.httpsAgent);
  storage.interceptors.push({
    request: (reqOpts) => Object.assign(reqOpts as RequestOptions, { [AGENT_OPTION]: pick }),
  });
  return agents;
}

// ---------------------------------------------------------------------------------------------------------------

function toInfo(file: File): ObjectInfo {
  const m = file.metadata;
  const generation = m.generation === undefined ? undefined : String(m.generation);
  const info: ObjectInfo = { key: file.name, etag: indexEtag(m, generation), size: Number(m.size ?? 0) };
  if (m.updated) info.lastModified = new Date(m.updated);
  if (generation !== undefined) info.versionId = generation;
  // Composite objects have no md5Hash (only crc32c): they are checked for size only.
  const md5 = md5FromBase64(m.md5Hash);
  if (md5 !== undefined) info.md5 = md5;
  return info;
}

/** The index value: GCS's etag (as Flux indexes), else a content hash with the generation. */
function indexEtag(
  m: { etag?: string; md5Hash?: string; crc32c?: string },
  generation: string | undefined,
): string {
  if (m.etag) return unquoteEtag(m.etag);
  const hash = m.md5Hash ?? m.crc32c;
  if (hash && generation) return `${hash}@${generation}`;
  return hash ?? generation ?? "";
}

/**
 * Starts the download and resolves once the response headers are in, so a missing or changed object rejects
 * here; later failures destroy the returned stream with a ProviderError.
 */
function openStream(file: File, what: string, signal: AbortSignal | undefined): Promise<Readable> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const source = file.createReadStream();
    const out = new PassThrough();
    let settled = false;
    const onAbort = (): void => {
      source.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    const done = (): void => signal?.removeEventListener("abort", onAbort);
    signal?.addEventListener("abort", onAbort, { once: true });
    source.on("response", (res: { statusCode?: number }) => {
      if (!settled && (res.statusCode ?? 0) < 300) {
        settled = true;
        resolve(out);
      }
    });
    source.on("error", (error) => {
      done();
      const failure = classify(error, what, "get");
      if (settled) {
        out.destroy(failure);
      } else {
        settled = true;
        reject(failure);
        out.destroy(); // never handed out: nobody would listen for its error
      }
    });
    source.on("end", done);
    out.on("close", () => {
      done();
      if (!source.readableEnded) source.destroy();
    });
    source.pipe(out);
  });
}

/** Rejects as soon as `signal` aborts; the library calls themselves take no signal. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Errors: by HTTP status and error name/code, never by message text.

/** The HTTP status of an API error (ApiError.code) or of an auth library (gaxios) error. */
function httpStatus(error: unknown): number | undefined {
  if (error instanceof ApiError && typeof error.code === "number") return error.code;
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  if (typeof e.status === "number") return e.status;
  if (typeof e.response?.status === "number") return e.response.status;
  if (typeof e.code === "number") return e.code;
  return undefined;
}

/** A failure before any HTTP response: refused, reset, DNS, TLS, socket timeout. */
function isNetworkError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; type?: unknown; cause?: unknown; name?: unknown };
  if (e.type === "system" || e.type === "request-timeout" || e.name === "FetchError") return true;
  if (
    typeof e.code === "string" &&
    /^(E[A-Z_]+|ERR_TLS|UND_ERR|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(e.code)
  )
    return true;
  return e.cause !== undefined && e.cause !== error && isNetworkError(e.cause);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const tag = typeof code === "string" || typeof code === "number" ? `${error.name} ${code}` : error.name;
  return error.message ? `${tag}: ${error.message}` : tag;
}

function authError(error: unknown, what: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const status = httpStatus(error);
  if (isNetworkError(error) || (status !== undefined && (status >= 500 || status === 429))) {
    return new ProviderError("Transient", `${what}: could not reach the token service: ${describe(error)}`, {
      cause: error,
    });
  }
  return new ProviderError("Unauthorized", `${what}: could not get an access token: ${describe(error)}`, {
    cause: error,
  });
}

function classify(error: unknown, what: string, op: "list" | "get" | "put" | "delete"): ProviderError {
  if (error instanceof ProviderError) return error;
  const status = httpStatus(error);
  const name = error instanceof Error ? error.name : "UnknownError";
  if (status === 412 && op === "put") {
    return new ProviderError("Conflict", `${what}: the write condition does not hold (HTTP 412)`, {
      cause: error,
    });
  }
  if (status === 404) {
    return op !== "get"
      ? new ProviderError("BucketNotFound", `${what}: bucket does not exist (HTTP 404)`, { cause: error })
      : new ProviderError("NotFound", `${what}: object not found`, { cause: error });
  }
  if (status === 401 || status === 403) {
    return new ProviderError("Unauthorized", `${what}: access denied (HTTP ${status}): ${describe(error)}`, {
      cause: error,
    });
  }
  if (status === 412) {
    return new ProviderError("Transient", `${what}: object changed while it was being fetched`, {
      cause: error,
    });
  }
  if (name === "AbortError" || name === "TimeoutError") {
    return new ProviderError("Transient", `${what}: timed out`, { cause: error });
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new ProviderError("Invalid", `${what}: HTTP ${status}: ${describe(error)}`, { cause: error });
  }
  return new ProviderError("Transient", `${what}: ${describe(error)}`, { cause: error });
}
