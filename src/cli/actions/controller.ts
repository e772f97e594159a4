// The work of `bucketops controller`, loaded only when the command runs (see commands/controller.ts for its flags).
import { startControllerRuntime } from "../../kube/start.js";
import { isLoopbackHost } from "../../standalone/routes/write-auth.js";
import { parseListenAddress } from "../../storage/http-server.js";
import type { ControllerFlags } from "../commands/controller.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { readApiToken } from "../api-token.js";
import { limitsFromFlags } from "../flags.js";
import { createLogger } from "../logger.js";

/** Runs the controller until SIGINT, SIGTERM or lost leadership (exit 1), then closes it. */
export async function controllerAction(flags: ControllerFlags): Promise<void> {
  const apiToken = await readApiToken({ apiTokenFile: flags.apiTokenFile });
  // Beyond loopback every write would be refused (401): say so at once rather than serve dead buttons.
  if (
    flags.dashboardWrites &&
    apiToken === undefined &&
    !isLoopbackHost(parseListenAddress(flags.storageAddr).host)
  )
    throw new CliError(
      `--dashboard-writes on ${flags.storageAddr} (beyond loopback) needs --api-token-file`,
      ExitCode.Usage,
    );
  const logger = await createLogger(flags.logLevel, flags.logFormat);
  const runtime = await startControllerRuntime({
    kubeconfig: flags.kubeconfig,
    storagePath: flags.storagePath,
    storageAddr: flags.storageAddr,
    storageAdvAddr: flags.storageAdvAddr,
    workers: flags.concurrent,
    concurrency: flags.concurrency,
    limits: limitsFromFlags(flags),
    retentionRecords: flags.artifactRetentionRecords,
    retentionTtlMs: flags.artifactRetentionTtl,
    labelSelector: flags.watchLabelSelector,
    namespace: flags.watchNamespace,
    listPageSize: flags.listPageSize,
    leaderElect: flags.leaderElect,
    leaseNamespace: flags.leaderElectionNamespace,
    leaseName: flags.leaderElectionId,
    leaseDurationMs: flags.leaderElectionLeaseDuration,
    renewDeadlineMs: flags.leaderElectionRenewDeadline,
    retryPeriodMs: flags.leaderElectionRetryPeriod,
    hooks: flags.hookSecret,
    dashboardWrites: flags.dashboardWrites,
    apiToken,
    logger,
  });
  process.stdout.write(`bucketops controller serving artifacts on ${runtime.url}\n`);
  const reason = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => {
      resolve("SIGINT");
    });
    process.once("SIGTERM", () => {
      resolve("SIGTERM");
    });
    void runtime.lost.then(() => {
      resolve("lost leadership");
    });
  });
  logger.info({ reason }, "shutting down");
  await runtime.close();
  if (reason === "lost leadership") process.exitCode = 1;
}
