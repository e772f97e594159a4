// One normalized BucketSpec from the long form, the `url` shorthand, v1 or v1beta2.
import { parseDuration } from "./duration.js";
import { SpecError } from "./errors.js";
import type { Limits } from "./limits.js";
import { parseByteQuantity } from "./quantity.js";
import { BucketSpecInput, CONSISTENCY_MODES, formatIssues } from "./schema.js";
import { parseBucketUrl, type ResolvedProvider } from "./url.js";

export interface SecretRef {
  name: string;
}

/** The spec every runtime and the engine work with: defaults applied, shorthand expanded, rules checked. */
export interface BucketSpec {
  provider: ResolvedProvider;
  /** Bucket or container name; for `file` the absolute directory that is the bucket root. */
  bucketName: string;
  endpoint?: string;
  region?: string;
  prefix: string;
  insecure: boolean;
  sts?: { provider: "aws" | "ldap"; endpoint: string; secretRef?: SecretRef; certSecretRef?: SecretRef };
  secretRef?: SecretRef;
  serviceAccountName?: string;
  certSecretRef?: SecretRef;
  proxySecretRef?: SecretRef;
  intervalMs: number;
  timeoutMs: number;
  ignore?: string;
  suspend: boolean;
  /** spec.limits in bytes and objects; the engine bounds each by the runtime's limit. */
  limits?: Partial<Limits>;
  /** spec.validate: which content checks an artifact must pass before it is published. */
  validate?: "manifests";
  /** spec.consistency: which states may be published (see engine/gate); undefined means auto. */
  consistency?: ConsistencyMode;
  /** spec.settle in ms: with consistency settle, how long a listing must stay unchanged. */
  settleMs?: number;
  /** spec.verify: the index must be signed by a key of this Secret; implies an index is required. */
  verify?: { provider: "ed25519"; secretRef: SecretRef };
  /** spec.asOf as an ISO instant (UTC, milliseconds): publish the prefix as it was then (engine/steps/scan-pinned). */
  asOf?: string;
  /** spec.versions: object key → version id, pinned over the latest state (or asOf's). */
  versions?: Record<string, string>;
}

export type ConsistencyMode = (typeof CONSISTENCY_MODES)[number];

export const DEFAULT_TIMEOUT_MS = 60_000;

// Endpoints that mean "the provider's default": dropped so the long and short forms normalize alike.
const DEFAULT_ENDPOINTS: Partial<Record<ResolvedProvider, string[]>> = {
  aws: ["s3.amazonaws.com", "https://s3.amazonaws.com"],
  gcp: ["storage.googleapis.com", "https://storage.googleapis.com"],
};

/**
 * Validates a raw `spec` and returns the normalized BucketSpec.
 * Throws SpecError with "spec.<field>: <what is allowed>" messages; never retried by the engine.
 */
export function normalizeSpec(raw: unknown, baseDir: string = process.cwd()): BucketSpec {
  const parsed = BucketSpecInput.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new SpecError(formatIssues(parsed.error, "spec", BucketSpecInput));
  const input = parsed.data;

  let provider: ResolvedProvider = input.provider ?? "generic";
  let bucketName = input.bucketName;
  let prefix = input.prefix ?? "";
  let endpoint = input.endpoint;
  if (input.url !== undefined) {
    const fromUrl = parseBucketUrl(input.url, baseDir);
    provider = pickProvider(input, fromUrl.providers);
    agree("bucketName", input.bucketName, fromUrl.bucketName, input.url);
    agree("prefix", input.prefix, fromUrl.prefix, input.url);
    if (fromUrl.endpoint !== undefined) agree("endpoint", input.endpoint, fromUrl.endpoint, input.url);
    bucketName = fromUrl.bucketName;
    prefix = fromUrl.prefix;
    endpoint = endpoint ?? fromUrl.endpoint;
  }
  if (!bucketName)
    throw new SpecError("spec.bucketName: is required (or set spec.url, e.g. s3://<bucket>/<prefix>)");
  if (endpoint !== undefined && DEFAULT_ENDPOINTS[provider]?.includes(endpoint)) endpoint = undefined;
  if (endpoint === undefined && (provider === "generic" || provider === "azure")) {
    const example =
      provider === "azure" ? "https://<account>.blob.core.windows.net" : "minio.example.com:9000";
    throw new SpecError(`spec.endpoint: is required for provider ${provider} (e.g. ${example})`);
  }
  checkFluxRules(input, provider);
  checkConsistencyRules(input);

  return dropUndefined({
    provider,
    bucketName,
    endpoint,
    region: input.region,
    prefix: prefix.replace(/^\/+/, ""),
    insecure: input.insecure ?? false,
    sts: input.sts,
    secretRef: input.secretRef,
    serviceAccountName: input.serviceAccountName,
    certSecretRef: input.certSecretRef,
    proxySecretRef: input.proxySecretRef,
    intervalMs: durationMs(input.interval, "interval"),
    timeoutMs: input.timeout === undefined ? DEFAULT_TIMEOUT_MS : durationMs(input.timeout, "timeout"),
    ignore: input.ignore,
    suspend: input.suspend ?? false,
    limits: input.limits && normalizeLimits(input.limits),
    validate: input.validate,
    consistency: input.consistency,
    settleMs: input.settle === undefined ? undefined : durationMs(input.settle, "settle"),
    verify: input.verify,
    asOf: input.asOf === undefined ? undefined : instant(input.asOf),
    versions: input.versions,
  });
}

/** An RFC 3339 time (the schema checked its form) as an ISO instant; SpecError for one that is no date (02-30). */
function instant(text: string): string {
  const [y, m, d, hh, mm, ss] = (text.match(/\d+/g) ?? []).map(Number);
  const day = new Date(Date.UTC(y ?? 0, (m ?? 0) - 1, d ?? 0));
  const date = new Date(text);
  const calendar = day.getUTCMonth() === (m ?? 0) - 1 && day.getUTCDate() === d;
  if (!calendar || (hh ?? 0) > 23 || (mm ?? 0) > 59 || (ss ?? 0) > 59 || Number.isNaN(date.getTime()))
    throw new SpecError(`spec.asOf: ${JSON.stringify(text)} is not a valid date-time`);
  return date.toISOString();
}

function checkConsistencyRules(input: BucketSpecInput): void {
  if (input.consistency === "settle" && input.settle === undefined)
    throw new SpecError("spec.settle: is required with consistency: settle (e.g. 30s)");
  if (input.settle !== undefined && input.consistency !== "settle")
    throw new SpecError("spec.settle: only applies with spec.consistency: settle");
  if (input.verify && (input.consistency === "none" || input.consistency === "settle")) {
    throw new SpecError(
      `spec.verify: needs the index object, which consistency: ${input.consistency} ignores; use auto, index or strict`,
    );
  }
}

function pickProvider(input: BucketSpecInput, allowed: ResolvedProvider[]): ResolvedProvider {
  if (input.provider === undefined) {
    // s3:// with a custom endpoint is an S3-compatible server, not AWS.
    if (allowed.includes("generic") && input.endpoint !== undefined) return "generic";
    return allowed[0] ?? "generic";
  }
  if (!allowed.includes(input.provider)) {
    throw new SpecError(
      `spec.provider: "${input.provider}" does not match spec.url; this url needs provider ${allowed.join(" or ")}`,
      "URLInvalid",
    );
  }
  return input.provider;
}

function agree(field: string, given: string | undefined, fromUrl: string, url: string): void {
  if (given !== undefined && given !== fromUrl) {
    throw new SpecError(
      `spec.${field}: "${given}" disagrees with spec.url "${url}" (which says "${fromUrl}"); remove one of them`,
      "URLInvalid",
    );
  }
}

function checkFluxRules(input: BucketSpecInput, provider: ResolvedProvider): void {
  if (input.sts) {
    if (provider !== "aws" && provider !== "generic") {
      throw new SpecError("spec.sts: is only supported with provider aws or generic");
    }
    if (provider === "aws" && input.sts.provider !== "aws") {
      throw new SpecError('spec.sts.provider: must be "aws" when spec.provider is aws');
    }
    if (provider === "generic" && input.sts.provider !== "ldap") {
      throw new SpecError('spec.sts.provider: must be "ldap" when spec.provider is generic');
    }
    if (input.sts.provider === "aws" && (input.sts.secretRef || input.sts.certSecretRef)) {
      throw new SpecError(
        "spec.sts: secretRef and certSecretRef are not supported with the aws STS provider",
      );
    }
  }
  if (provider === "generic" && input.serviceAccountName !== undefined) {
    throw new SpecError("spec.serviceAccountName: is not supported with provider generic");
  }
  if (input.secretRef && input.serviceAccountName !== undefined) {
    throw new SpecError("spec.secretRef and spec.serviceAccountName are mutually exclusive; set only one");
  }
  if (provider === "file" && (input.secretRef || input.endpoint !== undefined)) {
    throw new SpecError("spec.url: file:// buckets take no secretRef or endpoint");
  }
}

function durationMs(text: string, field: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new SpecError(`spec.${field}: must be a positive Go duration such as 5m0s`);
  return ms;
}

function normalizeLimits(input: NonNullable<BucketSpecInput["limits"]>): Partial<Limits> {
  const bytes = (v: string | number | undefined): number | undefined =>
    v === undefined ? undefined : parseByteQuantity(v); // the schema has checked it parses
  return dropUndefined({
    maxObjectSize: bytes(input.maxObjectSize),
    maxTotalSize: bytes(input.maxTotalSize),
    maxObjects: input.maxObjects,
  });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
