// `bucketops chart delete <name> <version> <bucket>`: the entry out of index.yaml, then the archive.
import type { Command } from "commander";
import { deleteChart } from "../../publish/chart-delete.js";
import { indexLine, withChartBucket, withChartTargetFlags, type ChartTargetFlags } from "./chart-target.js";

/** Registers `chart delete`. */
export function registerChartDelete(chart: Command): void {
  withChartTargetFlags(
    chart
      .command("delete <name> <version> <bucket>")
      .description(
        "remove a chart version: its entry from index.yaml (conditional write, retried on conflict), then its archive",
      ),
  ).action(async (name: string, version: string, bucket: string, flags: ChartTargetFlags) => {
    const result = await withChartBucket(bucket, flags, (store, prefix) =>
      deleteChart({ store, prefix, name, version }),
    );
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(
            {
              chart: name,
              version,
              removedFromIndex: result.removed !== undefined,
              deleted: result.deletedKey,
              index: { key: result.indexKey, ...result.index },
            },
            null,
            2,
          )}\n`
        : `deleted ${name} ${version}: ${
            result.removed ? indexLine(result.indexKey, result.index) : `not in ${result.indexKey}`
          }; then ${result.deletedKey ?? ""} deleted\n`,
    );
  });
}
