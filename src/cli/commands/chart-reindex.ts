// `bucketops chart reindex <bucket>`: index.yaml rebuilt from the chart archives under the prefix.
import type { Command } from "commander";
import { reindexCharts } from "../../publish/chart-reindex.js";
import { CliError, ExitCode } from "../exit-codes.js";
import {
  indexLine,
  urlStyle,
  withChartBucket,
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
    const result = await withChartBucket(bucket, flags, (store, prefix) =>
      reindexCharts({ store, prefix, urls: urlStyle(flags) }),
    );
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            charts: result.charts,
            skipped: result.skipped,
            ...(result.replacedUnreadable ? { replacedUnreadable: result.replacedUnreadable } : {}),
            index: { key: result.indexKey, ...result.index },
          },
          null,
          2,
        )}\n`,
      );
    } else {
      if (result.replacedUnreadable)
        process.stderr.write(`note: replaced an index that did not parse (${result.replacedUnreadable})\n`);
      process.stdout.write(`${result.charts} chart versions; ${indexLine(result.indexKey, result.index)}\n`);
    }
    if (result.skipped.length > 0)
      throw new CliError(
        `left out of the index, not charts: ${result.skipped.map((s) => s.reason).join("; ")}`,
        ExitCode.Failed,
      );
  });
}
