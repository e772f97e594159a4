// Reads a folder of YAML: Bucket documents to reconcile, Secret documents they may reference.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { bucketKey, parseBucketDocument, type BucketObject } from "../api/bucket.js";
import type { SecretData } from "../credentials/secret.js";

export interface FolderBucket {
  object: BucketObject;
  /** The file it came from; relative file:// URLs resolve against its folder. */
  file: string;
}

export interface FolderProblem {
  file: string;
  message: string;
}

export interface FolderContents {
  buckets: Map<string, FolderBucket>;
  secrets: Map<string, SecretData>;
  problems: FolderProblem[];
}

/**
 * Loads every *.yaml / *.yml file under `dir` (recursively). Documents of other kinds are skipped. A file that
 * does not parse, or a Bucket whose apiVersion/metadata is invalid, becomes a problem naming the file; the rest
 * still load. Duplicate Bucket keys are a problem too (the first one wins).
 */
export async function loadFolder(dir: string): Promise<FolderContents> {
  return loadFiles(await yamlFiles(path.resolve(dir)));
}

/** Loads the given YAML files, with the same rules as loadFolder. */
export async function loadFiles(files: readonly string[]): Promise<FolderContents> {
  const result: FolderContents = { buckets: new Map(), secrets: new Map(), problems: [] };
  for (const file of files.map((f) => path.resolve(f))) {
    let docs;
    try {
      docs = parseAllDocuments(await readFile(file, "utf8"));
    } catch (error) {
      result.problems.push({ file, message: String(error) });
      continue;
    }
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      if (doc.errors.length > 0) {
        result.problems.push({ file, message: doc.errors.map((e) => e.message).join("; ") });
        continue;
      }
      addDocument(result, file, doc.toJS() as unknown);
    }
  }
  return result;
}

function addDocument(result: FolderContents, file: string, doc: unknown): void {
  if (typeof doc !== "object" || doc === null) return;
  const kind = (doc as { kind?: unknown }).kind;
  try {
    if (kind === "Bucket") {
      const object = parseBucketDocument(doc);
      const key = bucketKey(object.metadata);
      const existing = result.buckets.get(key);
      if (existing)
        throw new Error(`Bucket ${key} is also defined in ${existing.file}; names must be unique`);
      result.buckets.set(key, { object, file });
    } else if (kind === "Secret") {
      const { key, data } = parseSecret(doc);
      result.secrets.set(key, data);
    }
  } catch (error) {
    result.problems.push({ file, message: error instanceof Error ? error.message : String(error) });
  }
}

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
    if (!/^[A-Za-z0-9+/=\s]*$/.test(v))
      throw new Error(
        `Secret ${namespace}/${metadata.name}: data.${k} is not base64 (use stringData for plain text)`,
      );
    out[k] = Buffer.from(v, "base64").toString("utf8");
  }
  Object.assign(out, asRecord(stringData, "stringData"));
  return { key: `${namespace}/${metadata.name}`, data: out };
}

function asRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object") throw new Error(`Secret ${field} must be a map of strings`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}
