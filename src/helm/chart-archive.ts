// Reads a packaged chart's Chart.yaml from its .tgz stream, without unpacking anything to disk.
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { ChartError } from "./chart-errors.js";
import { MAX_CHART_YAML_BYTES, parseChartYaml, type ChartMetadata } from "./chart-metadata.js";

export interface ReadChartOptions {
  /** Bytes of Chart.yaml read at most (default 1 MiB). */
  maxChartYamlBytes?: number;
}

/**
 * Reads `<chart>/Chart.yaml` (the top-level one only; a subchart's `<chart>/charts/x/Chart.yaml` is not it) from a
 * chart archive stream and stops reading there. `file` names the archive in errors. Fails with ChartError:
 * "bad-archive" (not gzip'd tar), "not-a-chart" (no top-level Chart.yaml), "too-large" (Chart.yaml over the
 * bound), or what parseChartYaml reports.
 */
export async function readChartArchive(
  input: Readable,
  file: string,
  options: ReadChartOptions = {},
): Promise<ChartMetadata> {
  const max = options.maxChartYamlBytes ?? MAX_CHART_YAML_BYTES;
  const extract = tar.extract();
  const done = pipeline(input, createGunzip(), extract);
  let pipelineError: unknown;
  // Leaving the loop early abandons the pipeline ("premature close"): only a failure before the answer matters.
  done.catch((error: unknown) => {
    pipelineError = error;
  });
  let text: string | undefined;
  try {
    for await (const entry of extract) {
      if (entry.header.type !== "file" || !isTopLevelChartYaml(entry.header.name)) {
        entry.resume();
        continue;
      }
      if (entry.header.size !== undefined && entry.header.size > max) {
        entry.resume();
        throw new ChartError("too-large", file, `Chart.yaml is ${entry.header.size} bytes (at most ${max})`);
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString("utf8");
      break;
    }
  } catch (error: unknown) {
    if (error instanceof ChartError) throw error;
    throw new ChartError("bad-archive", file, `not a gzip'd tar archive: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    extract.destroy();
    input.destroy();
  }
  if (text === undefined) {
    await done.catch(() => undefined);
    if (pipelineError !== undefined)
      throw new ChartError(
        "bad-archive",
        file,
        `not a gzip'd tar archive: ${(pipelineError as Error).message}`,
        {
          cause: pipelineError,
        },
      );
    throw new ChartError("not-a-chart", file, "the archive holds no <chart>/Chart.yaml");
  }
  return parseChartYaml(text, file);
}

/** `x/Chart.yaml` (or `./x/Chart.yaml`), exactly one folder deep: where `helm package` puts it. */
export function isTopLevelChartYaml(name: string): boolean {
  const parts = name.replace(/^\.\//, "").split("/");
  return parts.length === 2 && parts[0] !== "" && parts[0] !== ".." && parts[1] === "Chart.yaml";
}
