// Builds the provider a resolved connection config asks for.
import type { ConnectionConfig } from "../credentials/resolve.js";
import { createAzureProvider } from "./azure.js";
import { createFileProvider } from "./file.js";
import { createGcsProvider } from "./gcs.js";
import { createS3Provider } from "./s3.js";
import type { BucketProvider } from "./types.js";

export interface ProviderTuning {
  requestTimeoutMs: number;
  maxSockets: number;
}

/** Creates a provider; sends nothing until used. */
export function createProvider(config: ConnectionConfig, tuning: ProviderTuning): BucketProvider {
  switch (config.kind) {
    case "file":
      return createFileProvider(config.root);
    case "s3":
      return createS3Provider(config, tuning);
    case "gcs":
      return createGcsProvider(config, tuning);
    case "azure":
      return createAzureProvider(config, tuning);
  }
}

export type { BucketProvider, ObjectInfo, ProviderErrorKind } from "./types.js";
export { ProviderError } from "./types.js";
