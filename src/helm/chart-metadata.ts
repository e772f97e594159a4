// Chart.yaml: the fields Helm needs from it, validated as Helm validates them when it loads a chart.
import { parse } from "yaml";
import { ChartError } from "./chart-errors.js";
import { parseSemVer } from "./semver.js";

/** Chart.yaml as Helm reads it: name, version and apiVersion always set; every other field kept as written. */
export interface ChartMetadata {
  apiVersion: string;
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  type?: string;
  [field: string]: unknown;
}

/** The most Chart.yaml bytes read: a real one is a few KiB; anything bigger is not a chart's metadata. */
export const MAX_CHART_YAML_BYTES = 1024 * 1024;

/**
 * Parses Chart.yaml text. Fails with ChartError naming `file`: "bad-yaml" (does not parse, or not a mapping),
 * "not-a-chart" (no name), "no-version" (no version), "bad-version" (a version Helm refuses). A missing apiVersion
 * is "v1", as Helm's loader sets it.
 */
export function parseChartYaml(text: string, file: string): ChartMetadata {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error: unknown) {
    throw new ChartError("bad-yaml", file, `Chart.yaml does not parse: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new ChartError("bad-yaml", file, "Chart.yaml is not a YAML mapping");
  const fields = { ...(doc as Record<string, unknown>) };
  const name = scalar(fields.name);
  if (!name) throw new ChartError("not-a-chart", file, "Chart.yaml has no name");
  const version = scalar(fields.version);
  if (!version) throw new ChartError("no-version", file, `Chart.yaml of chart "${name}" has no version`);
  if (!parseSemVer(version))
    throw new ChartError(
      "bad-version",
      file,
      `chart "${name}" has version "${version}", which is not SemVer`,
    );
  const appVersion = scalar(fields.appVersion);
  const metadata: ChartMetadata = { ...fields, apiVersion: scalar(fields.apiVersion) ?? "v1", name, version };
  if (appVersion !== undefined) metadata.appVersion = appVersion;
  return metadata;
}

// YAML reads `version: 1.0` as a number; Helm's loader reads the text, so numbers become their text.
function scalar(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (typeof value === "number") return String(value);
  return undefined;
}
