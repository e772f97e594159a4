// `bucketops run`: the standalone runtime.
import type { Command } from "commander";
import { startStandalone } from "../../standalone/start.js";
import { limitsFromFlags, withReconcileFlags, type ReconcileFlags } from "../flags.js";
import { withHookFlags, type HookFlags } from "../hook-flags.js";
import { createLogger } from "../logger.js";

interface RunFlags extends ReconcileFlags, HookFlags {
  config: string;
  storage: string;
  listen: string;
  storageAdvAddr?: string;
  logLevel: string;
  watch: boolean;
}

export function registerRun(program: Command): void {
  withHookFlags(withReconcileFlags(program.command("run")))
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
        engine: { limits: limitsFromFlags(flags) },
        hooks: flags.hookSecret,
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
