// The flags that name a bucket, as fetch, push, history, diff and pin take them (light: no spec or provider code).
import type { Command } from "commander";

/** The flags resolveTarget reads: what `fetch` and `push` share to name a bucket. */
export interface TargetFlags {
  name?: string;
  endpoint?: string;
  region?: string;
  insecure?: boolean;
  ignore?: string;
  /** A Secret YAML file whose keys authenticate to the bucket (becomes spec.secretRef). */
  credentialsFile?: string;
}

/** The --credentials-file option (fetch, push, history, diff). */
export const CREDENTIALS_FILE_FLAG = [
  "--credentials-file <secret.yaml>",
  "a Secret YAML document with the bucket's keys (as a secretRef Secret holds them); replaces spec.secretRef",
] as const;

/** The parsed flags of withTargetFlags. */
export interface BucketTargetFlags extends TargetFlags {
  cacheDir?: string;
}

/** Adds fetch's flags that name a bucket (--name, --endpoint, --region, --insecure, --credentials-file), --cache-dir. */
export function withTargetFlags(command: Command): Command {
  return command
    .option("--name <name>", "which Bucket of the YAML file, when it holds several")
    .option("--endpoint <host:port>", "S3-compatible endpoint for a URL source")
    .option("--region <region>", "region for a URL source")
    .option("--insecure", "plain HTTP to the endpoint")
    .option(...CREDENTIALS_FILE_FLAG)
    .option(
      "--cache-dir <dir>",
      "content cache for the files read (default: ~/.cache/bucketops, shared with fetch)",
    );
}
