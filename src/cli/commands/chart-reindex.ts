// `bucketops chart reindex <bucket>`: index.yaml rebuilt from the chart archives under the prefix.
import type { Command } from "commander";
import {
  withChartTargetFlags,
  withUrlFlags,
  type ChartTargetFlags,
  type ChartUrlFlags,
} from "./chart-target.js";

/** Registers `chart reindex`. */
export function registerChartReindex(chart: Command): void {
  withUrlFlags(
    withChartTargetFlags(
      chart
        .command("reindex <bucket>")
        .description(
          "rebuild index.yaml from the .tgz charts under the Bucket's prefix (Chart.yaml and sha256 of each), conditional write; exits 1 when some archive is not a chart (the index is written without it)",
        ),
    ),
  ).action(async (bucket: string, flags: ChartTargetFlags & ChartUrlFlags) => {
    const { chartReindex } = await import("../actions/chart.js");
    await chartReindex(bucket, flags);
  });
}
