// `bucketops run`: the standalone runtime.
import type { Command } from "commander";
import { startStandalone } from "../../standalone/start.js";
import { durationFlag, positiveInt } from "../flags.js";
import { createLogger } from "../logger.js";

interface RunFlags {
  config: string;
  storage: string;
  listen: string;
  storageAdvAddr?: string;
  concurrency: number;
  concurrent: number;
  artifactRetentionRecords: number;
  artifactRetentionTtl: number;
  logLevel: string;
  watch: boolean;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description(
      "reconcile every Bucket in a folder of YAML and serve their artifacts, an API and a dashboard",
    )
    .option("-c, --config <dir>", "folder of Bucket (and Secret) YAML documents", "buckets")
    .option("-s, --storage <dir>", "storage root for artifacts, content cache and state", ".bucketops")
    .option("-l, --listen <addr>", "HTTP listen address for artifacts, API and dashboard", ":9090")
    .option(
      "--storage-adv-addr <addr>",
      "host[:port] or URL written into artifact URLs (default: the listen address)",
    )
    .option("--concurrency <n>", "parallel downloads per Bucket", positiveInt, 32)
    .option("--concurrent <n>", "Buckets reconciled at the same time", positiveInt, 4)
    .option(
      "--artifact-retention-records <n>",
      "artifacts kept per Bucket, the current one included",
      positiveInt,
      2,
    )
    .option(
      "--artifact-retention-ttl <duration>",
      "age after which older artifacts are deleted",
      durationFlag,
      60_000,
    )
    .option("--log-level <level>", "debug, info, warn or error", "info")
    .option("--no-watch", "do not watch the folder for edits")
    .action(async (flags: RunFlags) => {
      const logger = createLogger(flags.logLevel);
      const handle = await startStandalone({
        configDir: flags.config,
        storageRoot: flags.storage,
        listen: flags.listen,
        advertiseAddress: flags.storageAdvAddr,
        concurrency: flags.concurrency,
        concurrentReconciles: flags.concurrent,
        retentionRecords: flags.artifactRetentionRecords,
        retentionTtlMs: flags.artifactRetentionTtl,
        logger,
        watch: flags.watch,
      });
      const buckets = handle.runner.list();
      process.stdout.write(
        [
          `bucketops is serving ${buckets.length} Bucket(s) from ${flags.config}`,
          `  dashboard:  ${handle.url}/`,
          `  API:        ${handle.url}/api/buckets`,
          ...buckets.map((b) => `  artifact:   ${handle.store.latestUrl(b)}  (${b.namespace}/${b.name})`),
          "press Ctrl-C to stop",
          "",
        ].join("\n"),
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          resolve();
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      logger.info("shutting down");
      await handle.close();
    });
}
