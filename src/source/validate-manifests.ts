// spec.validate: manifests — every YAML/JSON file of the state must parse before an artifact is built from it, so a
// half-edited manifest never reaches the cluster (the previous artifact keeps serving).
import { LineCounter, parseAllDocuments } from "yaml";
import { describeConversionError, describeYamlError } from "../api/yaml-errors.js";
import type { ContentCache } from "./content-cache.js";
import type { ObjectIndex } from "./object-index.js";

const MANIFEST = /\.(ya?ml|json)$/i;

/** A manifest of the state that does not parse: names the file and the position, never its text. */
export class ManifestValidationError extends Error {
  override readonly name = "ManifestValidationError";
  constructor(
    readonly key: string,
    readonly line: number,
    readonly column: number,
    readonly code: string,
    reason: string,
    readonly others: number,
  ) {
    const more = others > 0 ? ` (and ${others} more invalid file${others === 1 ? "" : "s"})` : "";
    super(
      `${key}:${line}:${column}: ${reason} (${code})${more}; fix the file, or exclude it with spec.ignore`,
    );
  }
}

interface Problem {
  key: string;
  line: number;
  column: number;
  code: string;
  reason: string;
}

/**
 * Parses every .yaml/.yml/.json of `index` (from the cache, multi-document) and throws ManifestValidationError for
 * the first one, in key order, that does not parse, counting the others. Files under a `templates/` folder beside a
 * `Chart.yaml` are Helm templates, not YAML, and are skipped.
 */
export async function validateManifests(index: ObjectIndex, cache: ContentCache): Promise<void> {
  const charts = helmChartFolders(index);
  let first: Problem | undefined;
  let others = 0;
  for (let i = 0; i < index.size; i++) {
    const key = index.keyAt(i);
    if (!MANIFEST.test(key) || isHelmTemplate(key, charts)) continue;
    const problem = parseProblem(key, (await cache.read(key, index.etagAt(i))).toString("utf8"));
    if (!problem) continue;
    if (first) others++;
    else first = problem;
  }
  if (first) {
    const { key, line, column, code, reason } = first;
    throw new ManifestValidationError(key, line, column, code, reason, others);
  }
}

function parseProblem(key: string, text: string): Problem | undefined {
  const lines = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter: lines, prettyErrors: false })) {
    const error = doc.errors[0];
    if (error) return { key, ...describeYamlError(error, lines) };
    try {
      doc.toJS({ maxAliasCount: 100 });
    } catch (caught) {
      const { line, col } = lines.linePos(doc.range[0]);
      return { key, line, column: col, ...describeConversionError(caught) };
    }
  }
  return undefined;
}

/** Folders (with a trailing "/", "" for the root) that hold a Chart.yaml. */
function helmChartFolders(index: ObjectIndex): Set<string> {
  const folders = new Set<string>();
  for (let i = 0; i < index.size; i++) {
    const key = index.keyAt(i);
    if (key === "Chart.yaml" || key.endsWith("/Chart.yaml")) folders.add(key.slice(0, -"Chart.yaml".length));
  }
  return folders;
}

function isHelmTemplate(key: string, charts: ReadonlySet<string>): boolean {
  for (let at = key.indexOf("templates/"); at >= 0; at = key.indexOf("templates/", at + 1)) {
    if ((at === 0 || key[at - 1] === "/") && charts.has(key.slice(0, at))) return true;
  }
  return false;
}
