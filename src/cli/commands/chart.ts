// `bucketops chart push | delete | reindex`: a Helm chart repository kept in a bucket, published without a plugin.
import type { Command } from "commander";
import { registerChartDelete } from "./chart-delete.js";
import { registerChartPush } from "./chart-push.js";
import { registerChartReindex } from "./chart-reindex.js";

/** Registers `chart` and its subcommands. */
export function registerChart(program: Command): void {
  const chart = program
    .command("chart")
    .description(
      "publish Helm charts into a bucket (index.yaml at the prefix, updated by conditional writes): push, delete, reindex",
    );
  registerChartPush(chart);
  registerChartDelete(chart);
  registerChartReindex(chart);
}
