// `bucketops chart delete <name> <version> <bucket>`: the entry out of index.yaml, then the archive.
import type { Command } from "commander";
import { withChartTargetFlags, type ChartTargetFlags } from "./chart-target.js";

/** Registers `chart delete`. */
export function registerChartDelete(chart: Command): void {
  withChartTargetFlags(
    chart
      .command("delete <name> <version> <bucket>")
      .description(
        "remove a chart version: its entry from index.yaml (conditional write, retried on conflict), then its archive",
      ),
  ).action(async (name: string, version: string, bucket: string, flags: ChartTargetFlags) => {
    const { chartDelete } = await import("../actions/chart.js");
    await chartDelete(name, version, bucket, flags);
  });
}
