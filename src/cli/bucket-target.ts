// What history, diff and pin --export share: opening the bucket their flags name (target-flags.ts) and turning what
// can go wrong into one-line CLI errors.
import path from "node:path";
import { SpecError } from "../api/errors.js";
import { normalizeSpec } from "../api/normalize.js";
import { CredentialsError } from "../credentials/secret.js";
import { withBucket, type OpenBucket } from "../engine/open-bucket.js";
import { bucketCacheDir } from "../engine/time-travel.js";
import { ProviderError } from "../providers/types.js";
import { HistoryRefError } from "../source/history.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { noCredentialsMessage } from "./no-credentials.js";
import { defaultCacheDir, resolveTarget, type Target } from "./target.js";
import type { BucketTargetFlags } from "./target-flags.js";

/**
 * Resolves <source> (a Bucket YAML file or a URL) as fetch does, opens its provider, runs `fn` and closes it.
 * `cacheDir` is the Bucket's content cache folder (fetch's). Errors become CliErrors (see cliError).
 */
export async function withTargetBucket<T>(
  source: string,
  flags: BucketTargetFlags,
  fn: (bucket: OpenBucket, cacheDir: string, target: Target) => Promise<T>,
): Promise<T> {
  const target = await resolveTarget(source, flags);
  const cacheDir = bucketCacheDir(
    path.join(path.resolve(flags.cacheDir ?? defaultCacheDir()), "cache"),
    target.ref,
  );
  try {
    return await withBucket(
      {
        spec: target.spec,
        baseDir: target.baseDir,
        namespace: target.ref.namespace,
        readSecret: (ns, name) => Promise.resolve(target.secrets.get(`${ns}/${name}`)),
      },
      (bucket) => fn(bucket, cacheDir, target),
    );
  } catch (error) {
    const noCredentials =
      error instanceof ProviderError && error.kind === "Unauthorized"
        ? noCredentialsMessage(normalizeSpec(target.spec, target.baseDir))
        : undefined;
    throw noCredentials ? new CliError(noCredentials, ExitCode.Failed) : cliError(error);
  }
}

/**
 * A CliError for what opening a bucket or reading its history throws: a bad spec, Secret or time/revision is a
 * usage error (exit 2); a bucket without versioning, a refused or unreachable bucket fail (exit 1).
 */
export function cliError(error: unknown): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof SpecError || error instanceof CredentialsError || error instanceof HistoryRefError)
    return new CliError(error.message, ExitCode.Usage);
  if (error instanceof ProviderError) {
    const hint =
      error.kind === "NotVersioned"
        ? "; history, diff and pin need it (S3: PutBucketVersioning Status=Enabled; GCS: object versioning; Azure: blob versioning)"
        : "";
    return new CliError(`${error.message}${hint}`, ExitCode.Failed);
  }
  return error;
}
