// Azure Blob Storage (@azure/storage-blob, @azure/identity).
import type { Agent } from "node:http";
import { Readable } from "node:stream";
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  type TokenCredentialOptions,
} from "@azure/identity";
import {
  AnonymousCredential,
  ContainerClient,
  RestError,
  StorageSharedKeyCredential,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
import type { AzureCredentialConfig } from "../credentials/azure.js";
import type { ConnectionConfig } from "../credentials/resolve.js";
import type { TransportOptions } from "../credentials/transport.js";
import { buildAgents } from "../net/agents.js";
import { AZURE_UNVERSIONED_ID, listAzureVersions } from "./azure-versions.js";
import { createAzureWriter } from "./azure-write.js";
import { describeNetworkError } from "../net/network-errors.js";
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

export type AzureConnection = Extract<ConnectionConfig, { kind: "azure" }>;

/** Blobs per List Blobs page (the service maximum is 5,000). */
export const AZURE_PAGE_SIZE = 1000;

/**
 * Builds a provider for one Azure Blob container. No request is sent until one of its methods is called.
 * Every request (storage and, behind a proxy, Entra ID token requests) goes through agents from buildAgents.
 */
export function createAzureProvider(
  config: AzureConnection,
  tuning: ProviderTuning,
): BucketProvider & BucketWriter {
  const requests = { list: 0, get: 0, head: 0, put: 0, delete: 0 };
  const endpoint = config.endpoint.replace(/\/+$/, "");
  const { httpAgent, httpsAgent } = buildAgents(config.transport, tuning.maxSockets);
  const agent: Agent = isHttps(endpoint) ? httpsAgent : httpAgent;
  const containerName = config.containerName;
  const where = `${endpoint}/${containerName}`;

  // `agent` is core-rest-pipeline's PipelineOptions.agent: @azure/storage-blob passes its pipeline options through
  // to createClientPipeline, which installs an agentPolicy ahead of the proxy policy (so no proxy is taken from
  // the environment either). StoragePipelineOptions does not declare it, hence the intersection type.
  const pipeline: StoragePipelineOptions & { agent: Agent } = {
    agent,
    retryOptions: {
      maxTries: 3,
      retryDelayInMs: 500,
      maxRetryDelayInMs: 5_000,
      tryTimeoutInMs: tuning.requestTimeoutMs,
    },
    keepAliveOptions: { enable: true },
  };
  const credentials = config.credentials;
  let containerUrl = `${endpoint}/${encodeURIComponent(containerName)}`;
  let credential: StorageSharedKeyCredential | AnonymousCredential | TokenCredential;
  if (credentials?.type === "sharedKey") {
    credential = new StorageSharedKeyCredential(credentials.accountName, credentials.accountKey);
  } else if (credentials?.type === "sas") {
    containerUrl = `${containerUrl}?${credentials.token}`;
    credential = new AnonymousCredential();
  } else {
    credential = tokenCredential(credentials, identityOptions(config.transport, tuning.maxSockets));
  }
  const container = new ContainerClient(containerUrl, credential, pipeline);

  return {
    requests,
    ...createAzureWriter({
      container,
      where,
      requests,
      classify: (error, what) => classify(error, what, endpoint),
      storageCode,
    }),
    async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
      try {
        const pages = container
          .listBlobsFlat({ prefix: prefix === "" ? undefined : prefix, abortSignal: signal })
          .byPage({ maxPageSize: AZURE_PAGE_SIZE });
        for (;;) {
          requests.list++;
          const page = await pages.next();
          if (page.done === true) break;
          for (const blob of page.value.segment.blobItems) {
            const info: ObjectInfo = {
              key: listedBlobName(blob.name),
              etag: unquoteEtag(blob.properties.etag),
              size: blob.properties.contentLength ?? 0,
              lastModified: blob.properties.lastModified,
            };
            if (blob.versionId !== undefined) info.versionId = blob.versionId;
            // Blobs committed from blocks often have no Content-MD5: they are checked for size only.
            const md5 = md5FromBase64(blob.properties.contentMD5);
            if (md5 !== undefined) info.md5 = md5;
            yield info;
          }
          if (!page.value.continuationToken) break;
        }
      } catch (error) {
        throw classify(error, `list ${where}/${prefix}`, endpoint);
      }
    },
    async get(key: string, options: GetOptions = {}): Promise<Readable> {
      requests.get++;
      try {
        const blob = container.getBlobClient(key);
        const version =
          options.versionId === undefined || options.versionId === AZURE_UNVERSIONED_ID
            ? blob
            : blob.withVersion(options.versionId);
        const response = await version.download(0, undefined, {
          abortSignal: options.signal,
          conditions: options.etag === undefined ? undefined : { ifMatch: `"${options.etag}"` },
        });
        const body = response.readableStreamBody;
        if (body === undefined) throw new ProviderError("Transient", `get ${where}/${key}: empty response`);
        return body instanceof Readable ? body : new Readable().wrap(body);
      } catch (error) {
        throw classify(error, `get ${where}/${key}`, endpoint);
      }
    },
    async stat(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
      requests.head++;
      try {
        const p = await container.getBlobClient(key).getProperties({ abortSignal: signal });
        const info: ObjectInfo = { key, etag: unquoteEtag(p.etag ?? ""), size: p.contentLength ?? 0 };
        if (p.lastModified !== undefined) info.lastModified = p.lastModified;
        if (p.versionId !== undefined) info.versionId = p.versionId;
        const md5 = md5FromBase64(p.contentMD5);
        if (md5 !== undefined) info.md5 = md5;
        return info;
      } catch (error) {
        // A HEAD answer has no body, only x-ms-error-code: BlobNotFound is a missing key, ContainerNotFound an error.
        if (error instanceof RestError && storageCode(error) === "BlobNotFound") return undefined;
        throw classify(error, `stat ${where}/${key}`, endpoint);
      }
    },
    async versioning(signal?: AbortSignal): Promise<VersioningState> {
      requests.list++;
      try {
        const page = await container
          .listBlobsFlat({ includeVersions: true, abortSignal: signal })
          .byPage({ maxPageSize: AZURE_PAGE_SIZE })
          .next();
        const items = page.done === true ? [] : page.value.segment.blobItems;
        return items.some((b) => b.versionId !== undefined) ? "enabled" : "disabled";
      } catch (error) {
        throw classify(error, `versioning ${where}`, endpoint);
      }
    },
    async *listVersions(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectVersion> {
      const what = `list versions ${where}/${prefix}`;
      try {
        // The first page decides, as versioning() does, so a versioned listing costs no extra request.
        yield* listAzureVersions(container, {
          prefix,
          signal,
          requests,
          pageSize: AZURE_PAGE_SIZE,
          now: () => new Date(),
          keyOf: listedBlobName,
          onFirstPage: (versioned, empty) => {
            if (!versioned)
              throw notVersioned(
                what,
                empty ? "no blob to show version ids" : "listed blobs carry no version ids",
              );
          },
        });
      } catch (error) {
        throw classify(error, what, endpoint);
      }
    },
    close(): void {
      httpAgent.destroy();
      if (httpsAgent !== httpAgent) httpsAgent.destroy();
    },
  };
}

function isHttps(url: string): boolean {
  return /^https:/i.test(url);
}

/**
 * Options for @azure/identity's own token requests: through the Bucket's proxy, if any. The custom CA of
 * certSecretRef is for the storage endpoint and is not applied to Entra ID (it would replace the system roots).
 */
function identityOptions(transport: TransportOptions, maxSockets: number): TokenCredentialOptions {
  if (!transport.proxy) return {};
  return { agent: buildAgents({ proxy: transport.proxy }, maxSockets).httpsAgent };
}

function tokenCredential(
  credentials: Exclude<AzureCredentialConfig, { type: "sharedKey" | "sas" }> | undefined,
  options: TokenCredentialOptions,
): TokenCredential {
  if (credentials === undefined) return new DefaultAzureCredential(options);
  const authority =
    "authorityHost" in credentials && credentials.authorityHost !== undefined
      ? { authorityHost: credentials.authorityHost }
      : {};
  switch (credentials.type) {
    case "servicePrincipal":
      return new ClientSecretCredential(
        credentials.tenantId,
        credentials.clientId,
        credentials.clientSecret,
        { ...options, ...authority },
      );
    case "clientCertificate": {
      const pem =
        credentials.password === undefined
          ? { certificate: credentials.certificate }
          : { certificate: credentials.certificate, certificatePassword: credentials.password };
      return new ClientCertificateCredential(credentials.tenantId, credentials.clientId, pem, {
        ...options,
        ...authority,
        sendCertificateChain: credentials.sendChain ?? false,
      });
    }
    case "managedIdentity":
      return new ManagedIdentityCredential({ ...options, clientId: credentials.clientId });
  }
}

// Error codes (x-ms-error-code) that mean the credentials are wrong or lack permission.
const AUTH_CODES = new Set([
  "AuthenticationFailed",
  "AuthorizationFailure",
  "AuthorizationPermissionMismatch",
  "AuthorizationProtocolMismatch",
  "AuthorizationResourceTypeMismatch",
  "AuthorizationServiceMismatch",
  "AuthorizationSourceIPMismatch",
  "InsufficientAccountPermissions",
  "InvalidAuthenticationInfo",
  "NoAuthenticationInformation",
]);

// @azure/identity errors: no token could be had.
const IDENTITY_ERRORS = new Set([
  "AuthenticationError",
  "AggregateAuthenticationError",
  "CredentialUnavailableError",
  "AuthenticationRequiredError",
]);

/**
 * Names with characters XML cannot hold come Encoded="true" and the SDK decodes them; a carriage return is valid XML
 * but must travel as "&#xD;" (parsers turn a raw one into a line feed), and the SDK's parser leaves numeric character
 * references as they are. Decoded here so the key is the blob's own (the source stage then refuses the control
 * character with InvalidPath); a name that really holds the text "&#xD;" is read as a CR, which is refused the same
 * way, never fetched under a wrong name.
 */
function listedBlobName(name: string): string {
  return name.includes("&#") ? name.replace(/&#(?:x0*[dD]|0*13);/g, "\r") : name;
}

/** Maps SDK errors to a ProviderError kind by HTTP status, storage error code and error name, never by message. */
export function classify(error: unknown, what: string, endpoint: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const network = describeNetworkError(error, endpoint);
  if (network) {
    const kind = network.certificate ? "Invalid" : "Transient";
    return new ProviderError(kind, `${what}: ${network.message}`, { cause: error });
  }
  const name = error instanceof Error ? error.name : "UnknownError";
  const rest = error instanceof RestError ? error : undefined;
  const status = rest?.statusCode;
  const code = (rest && storageCode(rest)) ?? name;
  const detail = errorDetail(error, rest);
  const options = { cause: error };
  if (code === "ContainerNotFound") {
    return new ProviderError("BucketNotFound", `${what}: container does not exist (${code})`, options);
  }
  if (AUTH_CODES.has(code) || IDENTITY_ERRORS.has(name) || status === 401 || status === 403) {
    return new ProviderError("Unauthorized", `${what}: access denied (${code}): ${detail}`, options);
  }
  if (code === "ConditionNotMet" || status === 412) {
    return new ProviderError("Transient", `${what}: object changed while it was being fetched`, options);
  }
  if (code === "BlobNotFound" || (status === 404 && what.startsWith("get"))) {
    return new ProviderError("NotFound", `${what}: object not found (${code})`, options);
  }
  if (name === "AbortError" || name === "TimeoutError") {
    return new ProviderError("Transient", `${what}: timed out or aborted`, options);
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new ProviderError("Invalid", `${what}: ${code} (HTTP ${status}): ${detail}`, options);
  }
  return new ProviderError("Transient", `${what}: ${code}${status ? ` (HTTP ${status})` : ""}: ${detail}`, {
    cause: error,
  });
}

/** The storage error code: from the XML body, or the x-ms-error-code header of a HEAD answer (which has none). */
function storageCode(error: RestError): string | undefined {
  if (error.code !== undefined) return error.code;
  const details = error.details as { errorCode?: unknown } | undefined;
  return typeof details?.errorCode === "string" ? details.errorCode : undefined;
}

/** The first line of the service's message (its XML error body repeats the request id and time). */
function errorDetail(error: unknown, rest: RestError | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split("\n")[0] ?? "";
  return rest !== undefined ? firstLine.trim() : message;
}
