// The index object `push` writes last under the prefix (.bucketops/index.json): every published file with its
// sha256 and size, and Ed25519 signatures over the canonical bytes. Writers and readers share this one module, so
// what is signed is exactly what is verified.
import { z } from "zod";

/** The well-known key of the index, relative to the prefix's folder. */
export const INDEX_OBJECT_NAME = ".bucketops/index.json";
/** Indexes above this size are refused before they are parsed (a million entries fit well below it). */
export const MAX_INDEX_BYTES = 256 * 1024 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;

export const IndexFileSchema = z.strictObject({
  sha256: z.string().regex(SHA256_HEX, "sha256 must be 64 lowercase hex digits"),
  size: z.number().int().nonnegative(),
});
export type IndexFile = z.infer<typeof IndexFileSchema>;

export const IndexSignatureSchema = z.strictObject({
  algorithm: z.literal("ed25519"),
  /** sha256:<hex> of the public key's SPKI DER bytes: which key signed (a hint; every key given is tried). */
  keyId: z.string(),
  /** Base64 of the 64-byte signature over canonicalIndexBytes(). */
  value: z.string(),
});
export type IndexSignature = z.infer<typeof IndexSignatureSchema>;

export const IndexObjectSchema = z.strictObject({
  apiVersion: z.literal("bucketops.io/v1"),
  kind: z.literal("BucketIndex"),
  /** When the push wrote it (RFC 3339). */
  createdAt: z.string(),
  /** The tool that wrote it, e.g. "bucketops/0.1.0". */
  tool: z.string(),
  /** Path relative to the prefix's folder → content record. */
  files: z.record(z.string(), IndexFileSchema),
  signatures: z.array(IndexSignatureSchema).optional(),
});
export type IndexObject = z.infer<typeof IndexObjectSchema>;

export class IndexFormatError extends Error {
  override readonly name = "IndexFormatError";
}

/** The key of the index object for a Bucket's `prefix` (a prefix is a string prefix: "a/b" means folder "a/b/"). */
export function indexObjectKey(prefix: string): string {
  return `${prefixFolder(prefix)}${INDEX_OBJECT_NAME}`;
}

/** The folder a prefix names: "" for none, otherwise with one trailing "/". */
export function prefixFolder(prefix: string): string {
  return prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
}

/**
 * The bytes signatures cover: the index without `signatures`, as JSON with object keys sorted by UTF-16 code
 * unit order and no whitespace. Two writers that agree on content produce identical bytes.
 */
export function canonicalIndexBytes(index: IndexObject): Buffer {
  const { apiVersion, kind, createdAt, tool, files } = index;
  return Buffer.from(canonicalJson({ apiVersion, kind, createdAt, tool, files }), "utf8");
}

/** Serializes the index for upload: canonical content plus its signatures, one file per line for readable diffs. */
export function serializeIndex(index: IndexObject): Buffer {
  const sorted = Object.keys(index.files).sort();
  const lines = sorted.map((key) => `    ${JSON.stringify(key)}: ${canonicalJson(index.files[key])}`);
  const head = [
    "{",
    `  "apiVersion": ${JSON.stringify(index.apiVersion)},`,
    `  "kind": ${JSON.stringify(index.kind)},`,
    `  "createdAt": ${JSON.stringify(index.createdAt)},`,
    `  "tool": ${JSON.stringify(index.tool)},`,
  ];
  const files = sorted.length === 0 ? [`  "files": {}`] : [`  "files": {`, lines.join(",\n"), "  }"];
  const signatures = index.signatures?.length ? `,\n  "signatures": ${JSON.stringify(index.signatures)}` : "";
  return Buffer.from(`${head.join("\n")}\n${files.join("\n")}${signatures}\n}\n`, "utf8");
}

/** Parses and validates index bytes. Throws IndexFormatError naming the first problem (never echoing file content). */
export function parseIndex(bytes: Buffer): IndexObject {
  if (bytes.length > MAX_INDEX_BYTES)
    throw new IndexFormatError(`index object is ${bytes.length} bytes, above the ${MAX_INDEX_BYTES} limit`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new IndexFormatError("index object is not valid JSON");
  }
  const parsed = IndexObjectSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join(".") || "(root)";
    throw new IndexFormatError(`index object is invalid at ${where}: ${issue?.message ?? "unknown problem"}`);
  }
  return parsed.data;
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
}
