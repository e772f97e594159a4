// What `chart push` uploads: a packaged chart (.tgz) as it is, or a chart folder packaged deterministically first.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readChartArchive } from "../helm/chart-archive.js";
import { ChartError } from "../helm/chart-errors.js";
import type { ChartMetadata } from "../helm/chart-metadata.js";
import { chartFileName, packageChartDir } from "../helm/chart-package.js";

/** A chart archive on disk, ready to upload. */
export interface ChartArchive {
  /** The .tgz to upload. */
  file: string;
  /** `<name>-<version>.tgz`: the object name under the prefix, whatever the local file is called. */
  fileName: string;
  metadata: ChartMetadata;
  /** Lowercase hex sha256 of the archive bytes (Helm's index form). */
  sha256: string;
  size: number;
  /** Removes the temp package made from a folder (a no-op for a given .tgz). */
  cleanup(): Promise<void>;
}

/**
 * Loads `input`: a chart folder (packaged into a temp folder, the same files giving the same bytes) or a chart
 * archive (its Chart.yaml read from the archive, its bytes hashed in one streamed read). Fails with ChartError
 * naming the file: not a chart, no or bad version, not a gzip'd tar, or a path that is neither file nor folder.
 */
export async function loadChart(input: string): Promise<ChartArchive> {
  const info = await stat(input).catch(() => undefined);
  if (info?.isDirectory()) {
    const temp = await mkdtemp(path.join(os.tmpdir(), "bucketops-chart-"));
    try {
      const packaged = await packageChartDir(input, temp);
      return {
        file: packaged.file,
        fileName: packaged.fileName,
        metadata: packaged.metadata,
        sha256: packaged.digest.replace(/^sha256:/, ""),
        size: packaged.size,
        cleanup: () => rm(temp, { recursive: true, force: true }),
      };
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
  }
  if (!info?.isFile())
    throw new ChartError("not-a-chart", input, "neither a chart archive (.tgz) nor a chart folder");
  const metadata = await readChartArchive(createReadStream(input), input);
  const { sha256, size } = await hashFile(input);
  return {
    file: input,
    fileName: chartFileName(metadata),
    metadata,
    sha256,
    size,
    cleanup: () => Promise.resolve(),
  };
}

async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    hash.update(bytes);
  }
  return { sha256: hash.digest("hex"), size };
}
