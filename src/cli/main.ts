#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=1024
// The shebang sizes V8's heap for a long sync: 2 MiB semi-spaces (Node's default lets 100+ MiB of garbage build up
// before a scavenge at 200,000+ keys) and a 1 GiB old space (without a limit V8 sizes it from the machine's memory
// and grows it early). See README, Memory at scale. `node dist/src/cli/main.js` runs without them.
// The bucketops command line: a thin layer of flags over the same functions the tests call.
import "./supported-runtime.js";
import { Command, CommanderError } from "commander";
import { registerController } from "./commands/controller.js";
import { registerDiff } from "./commands/diff.js";
import { registerFetch } from "./commands/fetch.js";
import { registerGet } from "./commands/get.js";
import { registerHistory } from "./commands/history.js";
import { registerInstall } from "./commands/install.js";
import { registerPin } from "./commands/pin.js";
import { registerPush } from "./commands/push.js";
import { registerReconcile } from "./commands/reconcile.js";
import { registerRun } from "./commands/run.js";
import { registerCompletion } from "./commands/completion.js";
import { registerSourceBucketVerbs } from "./commands/source-bucket/register.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { logFormatOption } from "./log-format.js";

const program = new Command("bucketops")
  .description(
    "A GitOps source for object storage: Flux-compatible Bucket artifacts from S3, GCS, Azure and folders",
  )
  .version("0.1.0")
  .addOption(logFormatOption())
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError()
  .exitOverride();

registerRun(program);
registerController(program);
registerFetch(program);
registerPush(program);
registerGet(program);
registerReconcile(program);
registerHistory(program);
registerDiff(program);
registerPin(program);
registerInstall(program);
registerSourceBucketVerbs(program);
registerCompletion(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  } else if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.code;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = ExitCode.Failed;
  }
}
