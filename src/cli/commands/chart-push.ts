// `bucketops chart push <chart.tgz | chart-dir> <bucket>`: the archive, then its entry in index.yaml.
import type { Command } from "commander";
import { withChartTargetFlags, withUrlFlags, type ChartPushFlags } from "./chart-target.js";

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
      const { chartPush } = await import("../actions/chart.js");
      await chartPush(input, bucket, flags);
    });
}
