// `bucketops chart push <chart.tgz | chart-dir> <bucket>`: the archive, then its entry in index.yaml.
import type { Command } from "commander";
import { loadChart } from "../../publish/chart-source.js";
import { ChartExistsError, pushChart } from "../../publish/chart-push.js";
import { CliError, ExitCode } from "../exit-codes.js";
import {
  chartCliError,
  indexLine,
  urlStyle,
  withChartBucket,
  withChartTargetFlags,
  withUrlFlags,
  type ChartTargetFlags,
  type ChartUrlFlags,
} from "./chart-target.js";

interface ChartPushFlags extends ChartTargetFlags, ChartUrlFlags {
  force?: boolean;
}

/** Registers `chart push`. */
export function registerChartPush(chart: Command): void {
  withUrlFlags(
    withChartTargetFlags(
      chart
        .command("push <chart> <bucket>")
        .description(
          "upload a chart (.tgz, or a chart folder, packaged deterministically) as <name>-<version>.tgz under the Bucket's prefix, then add it to index.yaml there (conditional write, retried on conflict); <bucket> is a Bucket YAML file or a URL",
        ),
    ),
  )
    .option("--force", "replace a version that is already published")
    .action(async (input: string, bucket: string, flags: ChartPushFlags) => {
      const chart = await loadChart(input).catch((error: unknown) => {
        throw chartCliError(error);
      });
      try {
        const result = await withChartBucket(bucket, flags, (store, prefix) =>
          pushChart({
            store,
            prefix,
            chart,
            force: flags.force === true,
            urls: urlStyle(flags),
          }).catch((error: unknown) => {
            if (error instanceof ChartExistsError) throw new CliError(error.message, ExitCode.Failed);
            throw error;
          }),
        );
        const { entry } = result;
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(
                {
                  chart: entry.name,
                  version: entry.version,
                  key: result.key,
                  digest: `sha256:${entry.digest ?? ""}`,
                  size: chart.size,
                  archive: result.archive,
                  url: entry.urls[0],
                  index: { key: result.indexKey, ...result.index },
                },
                null,
                2,
              )}\n`
            : `pushed ${entry.name} ${entry.version} → ${result.key} (sha256:${entry.digest ?? ""}, ${chart.size} bytes${result.archive === "present" ? ", already there" : ""}); ${indexLine(result.indexKey, result.index)}\n`,
        );
      } finally {
        await chart.cleanup();
      }
    });
}
