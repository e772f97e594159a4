// Builds the provider a resolved connection config asks for.
import type { ConnectionConfig } from "../credentials/resolve.js";
import type { BucketProvider, BucketWriter, ProviderTuning } from "./types.js";

export type { ProviderTuning } from "./types.js";

/**
 * Creates a provider, a reader and a writer of the bucket (readers simply never call put/delete); sends nothing
 * until used. Each provider's module (and its cloud SDK) is loaded on first use: a process that only talks to S3
 * never loads the GCS and Azure SDKs (about 35 MiB of RSS each).
 */
export async function createProvider(
  config: ConnectionConfig,
  tuning: ProviderTuning,
): Promise<BucketProvider & BucketWriter> {
  switch (config.kind) {
    case "file":
      return (await import("./file.js")).createFileProvider(config.root);
    case "s3":
      return (await import("./s3.js")).createS3Provider(config, tuning);
    case "gcs":
      return (await import("./gcs.js")).createGcsProvider(config, tuning);
    case "azure":
      return (await import("./azure.js")).createAzureProvider(config, tuning);
  }
}

export type { BucketProvider, BucketWriter, ObjectInfo, ProviderErrorKind, PutOptions } from "./types.js";
export { ProviderError } from "./types.js";
