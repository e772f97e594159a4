// Builds the provider a resolved connection config asks for.
import type { ConnectionConfig } from "../credentials/resolve.js";
import type { BucketProvider, ProviderTuning } from "./types.js";

export type { ProviderTuning } from "./types.js";

/**
 * Creates a provider; sends nothing until used. Each provider's module (and its cloud SDK) is loaded on first
 * use: a process that only talks to S3 never loads the GCS and Azure SDKs (about 35 MiB of RSS each).
 */
export async function createProvider(
  config: ConnectionConfig,
  tuning: ProviderTuning,
): Promise<BucketProvider> {
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

export type { BucketProvider, ObjectInfo, ProviderErrorKind } from "./types.js";
export { ProviderError } from "./types.js";
