// The Bucket API as zod schemas: the one source of truth for TypeScript types, validation and (later) the CRD.
import { z } from "zod";
import { closestName } from "./did-you-mean.js";
import { DURATION_PATTERN } from "./duration.js";
import { parseByteQuantity } from "./quantity.js";
import { echoValue } from "./value-echo.js";

export const GROUP = "source.toolkit.fluxcd.io";
export const API_VERSIONS = [`${GROUP}/v1`, `${GROUP}/v1beta2`] as const;
export const PROVIDERS = ["generic", "aws", "gcp", "azure"] as const;

const durationMessage = "must be a Go duration such as 30s, 5m0s or 1h30m (units ms, s, m, h)";
const duration = z.string().regex(new RegExp(DURATION_PATTERN), { error: durationMessage });

/** An RFC 3339 date-time with a zone (Z or ±hh:mm), as Kubernetes writes times. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const quantityMessage = 'must be a byte size: a whole number or a quantity such as "512Mi", "10Gi" or "1G"';
const byteSize = z
  .union([z.number(), z.string()], { error: quantityMessage })
  .refine((v) => parseByteQuantity(v) !== undefined, { error: quantityMessage });

/** spec.limits: each bounded by the runtime's own limit (flags of run, controller and fetch). */
export const LimitsSpec = z.strictObject({
  maxObjectSize: byteSize.optional().describe("Largest object, e.g. 1Gi; default and ceiling: the runtime's"),
  maxTotalSize: byteSize.optional().describe("Sum of the published objects' sizes, e.g. 10Gi"),
  maxObjects: z
    .number()
    .int({ error: "must be a whole number of 1 or more" })
    .min(1, { error: "must be a whole number of 1 or more" })
    .optional()
    .describe("Number of published objects"),
});

/** A reference to a Secret in the Bucket's own namespace. */
export const LocalObjectReference = z.strictObject({
  name: z.string().min(1, { error: "must name a Secret in the Bucket's namespace" }),
});

export const StsSpec = z.strictObject({
  provider: z.enum(["aws", "ldap"], { error: "must be one of: aws, ldap" }),
  endpoint: z.string().min(1, { error: "must be the STS endpoint URL" }),
  secretRef: LocalObjectReference.optional(),
  certSecretRef: LocalObjectReference.optional(),
});

export const CONSISTENCY_MODES = ["auto", "index", "strict", "settle", "none"] as const;

/** spec.verify: the index object must carry a valid signature by one of the Secret's public keys. */
export const VerifySpec = z.strictObject({
  provider: z.enum(["ed25519"], { error: "must be: ed25519" }).describe("Signature scheme; ed25519"),
  secretRef: LocalObjectReference.describe(
    "Secret whose values that are Ed25519 public keys (SPKI PEM) are trusted; several keys allow rotation",
  ),
});

/** `spec` of a Bucket, as written by users (v1 and v1beta2 share it; `url` is bucketops' shorthand). */
export const BucketSpecInput = z.strictObject({
  url: z
    .string()
    .min(1)
    .optional()
    .describe("Shorthand for provider/bucketName/prefix: s3://, gs://, azblob://, file://"),
  provider: z
    .enum(PROVIDERS, { error: `must be one of: ${PROVIDERS.join(", ")}` })
    .optional()
    .describe("The bucket provider; default generic (S3-compatible)"),
  bucketName: z.string().min(1).optional(),
  endpoint: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  prefix: z.string().optional(),
  insecure: z.boolean().optional(),
  sts: StsSpec.optional(),
  secretRef: LocalObjectReference.optional(),
  serviceAccountName: z.string().min(1).optional(),
  certSecretRef: LocalObjectReference.optional(),
  proxySecretRef: LocalObjectReference.optional(),
  interval: duration,
  timeout: duration.optional(),
  ignore: z.string().optional(),
  suspend: z.boolean().optional(),
  limits: LimitsSpec.optional().describe(
    "Limits checked after the listing, before any download; exceeding one fails with LimitExceeded",
  ),
  validate: z
    .enum(["manifests"], { error: "must be: manifests" })
    .optional()
    .describe(
      "manifests: every .yaml/.yml/.json must parse (Helm templates/ skipped), else no new artifact (ValidationFailed)",
    ),
  consistency: z
    .enum(CONSISTENCY_MODES, { error: `must be one of: ${CONSISTENCY_MODES.join(", ")}` })
    .optional()
    .describe(
      "auto (default): publish only states matching .bucketops/index.json when it exists; index: the index must exist; strict: also no listed key outside the index; settle: the listing must be unchanged for spec.settle; none: ignore any index",
    ),
  settle: duration
    .optional()
    .describe(
      "With consistency: settle, how long the listing must stay unchanged before it is published, e.g. 30s",
    ),
  verify: VerifySpec.optional().describe(
    "The index object must be signed by a trusted key and every object match its sha256 (implies the index is required)",
  ),
  asOf: z
    .string()
    .regex(RFC3339, { error: "must be an RFC 3339 time with a zone, e.g. 2026-12-01T10:00:00Z" })
    .optional()
    .describe(
      "Pin: publish the prefix as it was at this RFC 3339 instant (per key the newest version not after it); needs object versioning on the bucket",
    ),
  versions: z
    .record(z.string().min(1), z.string().min(1, { error: "must be a version id" }))
    .optional()
    .describe(
      "Pin single objects: object key → version id (S3 versionId, GCS generation, Azure versionId), over the latest state or spec.asOf's",
    ),
  accessFrom: z.unknown().optional().describe("v1beta2 only; accepted and ignored"),
});
export type BucketSpecInput = z.infer<typeof BucketSpecInput>;

const dns1123 = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export const ObjectMeta = z.object({
  name: z.string().regex(dns1123, { error: "must be a lowercase DNS name (a-z, 0-9, '-', '.')" }).max(253),
  namespace: z.string().regex(dns1123, { error: "must be a lowercase DNS name" }).max(63).default("default"),
  generation: z.number().int().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** A whole Bucket document; `spec` is validated separately so a bad spec can still be reported by name. */
export const BucketDocument = z.object({
  apiVersion: z.enum(API_VERSIONS, { error: `must be one of: ${API_VERSIONS.join(", ")}` }),
  kind: z.literal("Bucket"),
  metadata: ObjectMeta,
  spec: z.unknown(),
  status: z.unknown().optional(),
});
export type BucketDocument = z.infer<typeof BucketDocument>;

/**
 * Formats zod issues as "field: problem" lines that say what is allowed, with the value read (see echoValue) and,
 * for an unknown field, the closest field of `schema` ("did you mean …?"). Parse with `{ reportInput: true }`:
 * zod 4 drops `issue.input` otherwise, and a wrongly typed field would be reported as missing.
 */
export function formatIssues(error: z.ZodError, root: string, schema?: z.ZodType): string {
  const name = (path: readonly PropertyKey[]): string =>
    [root, ...path.map(String)].filter((p) => p !== "").join(".");
  return error.issues
    .flatMap((issue) => {
      const path = name(issue.path);
      if (issue.code === "unrecognized_keys") {
        const known = schema ? fieldsAt(schema, issue.path) : [];
        return issue.keys.map((key) => {
          const guess = closestName(key, known);
          return `${name([...issue.path, key])}: unknown field${guess ? `; did you mean ${guess}?` : ""}`;
        });
      }
      if (issue.code === "invalid_type" && issue.input === undefined) return [`${path}: is required`];
      const echo = echoValue(issue.path, issue.input);
      return [`${path}: ${issue.message}${echo === undefined ? "" : ` (got ${echo})`}`];
    })
    .join("; ");
}

/** The field names of the object schema at `path` inside `schema` (through optional and default wrappers). */
function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const segment of [...path, undefined]) {
    while (current instanceof z.ZodOptional || current instanceof z.ZodDefault)
      current = current.unwrap() as z.ZodType;
    if (!(current instanceof z.ZodObject)) return [];
    if (segment === undefined) return Object.keys(current.shape);
    current = (current.shape as Record<string, z.ZodType | undefined>)[String(segment)];
  }
  return [];
}
