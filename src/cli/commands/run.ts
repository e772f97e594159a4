// `bucketops run`: the standalone runtime.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { startStandalone } from "../../standalone/start.js";
import { limitsFromFlags, withReconcileFlags, type ReconcileFlags } from "../flags.js";
import { withHookFlags, type HookFlags } from "../hook-flags.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { createLogger } from "../logger.js";

interface RunFlags extends ReconcileFlags, HookFlags {
  config: string;
  storage: string;
  listen: string;
  storageAdvAddr?: string;
  logLevel: string;
  watch: boolean;
  apiToken?: string;
  apiTokenFile?: string;
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
    .option(
      "--api-token <token>",
      "bearer token the API's write routes (reconcile, suspend, pin…) require; without one they are open on a loopback listen address and refused on any other",
    )
    .option("--api-token-file <file>", "read --api-token from a file (keeps it out of the process list)")
    .action(async (flags: RunFlags) => {
      const logger = createLogger(flags.logLevel);
      const apiToken = await readApiToken(flags);
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
        apiToken,
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

/** The API token from --api-token or --api-token-file (trimmed); undefined when neither is given. */
async function readApiToken(flags: RunFlags): Promise<string | undefined> {
  if (flags.apiToken !== undefined && flags.apiTokenFile !== undefined)
    throw new CliError("--api-token and --api-token-file: give one of them", ExitCode.Usage);
  if (flags.apiTokenFile === undefined) return flags.apiToken;
  let text: string;
  try {
    text = await readFile(flags.apiTokenFile, "utf8");
  } catch (error) {
    throw new CliError(
      `--api-token-file ${flags.apiTokenFile}: ${error instanceof Error ? error.message : String(error)}`,
      ExitCode.Usage,
    );
  }
  const token = text.trim();
  if (token === "")
    throw new CliError(`--api-token-file ${flags.apiTokenFile}: the file is empty`, ExitCode.Usage);
  return token;
}
