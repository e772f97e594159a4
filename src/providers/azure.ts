// Azure Blob Storage (@azure/storage-blob, @azure/identity).
import type { ConnectionConfig } from "../credentials/resolve.js";
import type { BucketProvider } from "./types.js";

export type AzureConnection = Extract<ConnectionConfig, { kind: "azure" }>;

/** Builds a provider for one Azure Blob container. */
export function createAzureProvider(
  _config: AzureConnection,
  _tuning: { requestTimeoutMs: number; maxSockets: number },
): BucketProvider {
  throw new Error("createAzureProvider: not implemented yet");
}
