// `bucketops push <dir> <bucket.yaml | url>`: upload a folder under a Bucket's prefix, the index object last. This
// module only declares the flags; actions/push.ts does the work and is imported when the command runs.
import type { Command } from "commander";
import { positiveInt } from "../flags.js";
import { CREDENTIALS_FILE_FLAG, type TargetFlags } from "../target-flags.js";

/** The parsed flags of `push`. */
export interface PushFlags extends TargetFlags {
  prune?: boolean;
  dryRun?: boolean;
  sign?: string;
  concurrency: number;
  json?: boolean;
}

/** Registers `push`; `program.version()` names the tool in the index object. */
export function registerPush(program: Command): void {
  program
    .command("push <dir> <bucket>")
    .description(
      "upload a folder under a Bucket's prefix: only changed files, then the index object (.bucketops/index.json), then --prune deletions; <bucket> is a Bucket YAML file or a URL such as s3://bucket/prefix",
    )
    .option("--name <name>", "which Bucket of the YAML file, when it holds several")
    .option("--endpoint <host:port>", "S3-compatible endpoint for a URL target")
    .option("--region <region>", "region for a URL target")
    .option("--insecure", "plain HTTP to the endpoint")
    .option(...CREDENTIALS_FILE_FLAG)
    .option("--prune", "delete objects under the prefix that the folder no longer has (after the index)")
    .option("--dry-run", "print the plan (+ added, ~ changed, - deleted) and write nothing")
    .option("--sign <private-key.pem>", "sign the index with this Ed25519 private key (PKCS#8 PEM)")
    .option("--concurrency <n>", "parallel uploads", positiveInt, 8)
    .option("--json", "print the result as JSON")
    .action(async (dir: string, bucket: string, flags: PushFlags) => {
      const { pushAction } = await import("../actions/push.js");
      await pushAction(dir, bucket, flags, program.version() ?? "unknown");
    });
}
