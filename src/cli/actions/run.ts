// The work of `bucketops run`, loaded only when the command runs (see commands/run.ts for its flags).
import { startStandalone } from "../../standalone/start.js";
import type { RunFlags } from "../commands/run.js";
import { readApiToken } from "../api-token.js";
import { limitsFromFlags } from "../flags.js";
import { createLogger } from "../logger.js";

/** Runs the standalone runtime until SIGINT or SIGTERM, then closes it. */
export async function runAction(flags: RunFlags): Promise<void> {
  const logger = await createLogger(flags.logLevel, flags.logFormat);
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
    apiToken: await readApiToken(flags),
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
}
