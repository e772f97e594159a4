// One file of the config folder: read it (bounded), parse its YAML documents, keep the Buckets and Secrets.
// Nothing here throws for a bad file: every failure becomes a problem naming the file, and messages never quote
// the file's text (it may hold Secret values).
import { readFile, stat } from "node:fs/promises";
import { LineCounter, parseAllDocuments } from "yaml";
import { bucketKey, parseBucketDocument, type BucketObject } from "../api/bucket.js";
import type { SecretData } from "../credentials/secret.js";
import { describeConversionError, describeYamlError } from "../api/yaml-errors.js";

/** Config files above this size are refused unread (a YAML file of Buckets and Secrets is a few KiB). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export interface FolderBucket {
  object: BucketObject;
  /** The file it came from; relative file:// URLs resolve against its folder. */
  file: string;
}

/** Something wrong in one file: where (document, line, column when known) and why, never the text there. */
export interface FolderProblem {
  file: string;
  message: string;
  /** 1-based document number within the file. */
  document?: number;
  line?: number;
  column?: number;
  /** The YAML error code (e.g. MISSING_CHAR), or FILE_TOO_LARGE / READ_FAILED. */
  code?: string;
}

/** What one file holds. A file with problems is "broken": the runner keeps its last good content. */
export interface FileContents {
  file: string;
  buckets: FolderBucket[];
  secrets: { key: string; data: SecretData }[];
  problems: FolderProblem[];
}

/**
 * Reads a config file: its bytes, or a problem when it is larger than `maxBytes` or cannot be read. Resolves
 * undefined when the file no longer exists (deleted since it was listed).
 */
export async function readConfigFile(
  file: string,
  maxBytes = MAX_CONFIG_FILE_BYTES,
): Promise<Buffer | FolderProblem | undefined> {
  try {
    const { size } = await stat(file);
    if (size > maxBytes) return tooLarge(file, size, maxBytes);
    const bytes = await readFile(file);
    return bytes.length > maxBytes ? tooLarge(file, bytes.length, maxBytes) : bytes;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    return { file, code: "READ_FAILED", message: `cannot read the file (${code ?? "unknown error"})` };
  }
}

function tooLarge(file: string, size: number, maxBytes: number): FolderProblem {
  return {
    file,
    code: "FILE_TOO_LARGE",
    message: `the file is ${size} bytes, over the ${formatBytes(maxBytes)} limit for a config file; it was not read`,
  };
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

/**
 * Parses the YAML documents of one file. Documents of kinds other than Bucket and Secret are skipped; a document
 * that does not parse (syntax error, alias bomb) or an invalid Bucket or Secret becomes a problem, and the file's
 * other documents still load.
 */
export function parseConfigFile(file: string, text: string): FileContents {
  const result: FileContents = { file, buckets: [], secrets: [], problems: [] };
  const lines = new LineCounter();
  // prettyErrors off: no source excerpt is ever attached to an error (we do not use its message either).
  let docs;
  try {
    docs = parseAllDocuments(text, { prettyErrors: false, lineCounter: lines });
  } catch (thrown) {
    // Not expected (the parser reports errors per document); its message could quote the text, so it is dropped.
    const kind = thrown instanceof Error ? thrown.name : "error";
    result.problems.push({ file, code: "PARSE_FAILED", message: `the file cannot be parsed (${kind})` });
    return result;
  }
  for (const [index, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    const document = index + 1;
    const error = doc.errors[0];
    if (error) {
      const { line, column, code, reason } = describeYamlError(error, lines);
      const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more errors)` : "";
      result.problems.push({
        file,
        document,
        line,
        column,
        code,
        message: `document ${document}, line ${line}, column ${column}: ${code}: ${reason}${more}`,
      });
      continue;
    }
    let data: unknown;
    try {
      data = doc.toJS();
    } catch (thrown) {
      const { code, reason } = describeConversionError(thrown);
      const { line } = lines.linePos(doc.range[0]);
      result.problems.push({
        file,
        document,
        line,
        code,
        message: `document ${document} (from line ${line}): ${code}: ${reason}`,
      });
      continue;
    }
    try {
      addDocument(result, data);
    } catch (thrown) {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      result.problems.push({ file, document, message: `document ${document}: ${message}` });
    }
  }
  return result;
}

function addDocument(result: FileContents, doc: unknown): void {
  if (typeof doc !== "object" || doc === null) return;
  const kind = (doc as { kind?: unknown }).kind;
  if (kind === "Bucket") {
    const object = parseBucketDocument(doc);
    const key = bucketKey(object.metadata);
    if (result.buckets.some((b) => bucketKey(b.object.metadata) === key))
      throw new Error(`Bucket ${key} is defined twice in this file; names must be unique`);
    result.buckets.push({ object, file: result.file });
  } else if (kind === "Secret") {
    result.secrets.push(parseSecret(doc));
  }
}

// Strict base64, as Kubernetes requires for `data` (whitespace such as line breaks aside).
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A Secret document: `data` is base64 (as in Kubernetes), `stringData` plain and wins on conflicts. */
function parseSecret(doc: object): { key: string; data: SecretData } {
  const { metadata, data, stringData } = doc as {
    metadata?: { name?: unknown; namespace?: unknown };
    data?: unknown;
    stringData?: unknown;
  };
  if (typeof metadata?.name !== "string") throw new Error("Secret document has no metadata.name");
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : "default";
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(data, "data"))) {
    const compact = v.replace(/\s+/g, "");
    if (!BASE64.test(compact))
      throw new Error(
        `Secret ${namespace}/${metadata.name}: data.${k} is not base64 (use stringData for plain text)`,
      );
    out[k] = Buffer.from(compact, "base64").toString("utf8");
  }
  Object.assign(out, asRecord(stringData, "stringData"));
  return { key: `${namespace}/${metadata.name}`, data: out };
}

function asRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new Error(`Secret ${field} must be a map of strings`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}
