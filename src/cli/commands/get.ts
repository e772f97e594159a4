// `bucketops get buckets`: the Buckets of a running server. This module only declares the flags; actions/get.ts
// does the work and is imported when the command runs.
import type { Command } from "commander";
import { parseFormat, type OutputFormat } from "../output-format.js";

export const DEFAULT_SERVER = "http://127.0.0.1:9090";

/** The parsed flags of `get buckets`. */
export interface GetBucketsFlags {
  server: string;
  namespace?: string;
  output: OutputFormat;
}

/** Registers `get` and `get buckets`. */
export function registerGet(program: Command): void {
  const get = program.command("get").description("show resources of a running bucketops server");
  get
    .command("buckets")
    .alias("bucket")
    .description("list Buckets with their readiness and revision")
    .option("--server <url>", "bucketops server", DEFAULT_SERVER)
    .option("-n, --namespace <ns>", "only this namespace")
    .option("-o, --output <format>", "table, json or yaml", parseFormat, "table" as OutputFormat)
    .action(async (flags: GetBucketsFlags) => {
      const { getBucketsAction } = await import("../actions/get.js");
      await getBucketsAction(flags);
    });
}
