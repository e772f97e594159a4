// Google Cloud Storage over its JSON API (@google-cloud/storage).
import type { ConnectionConfig } from "../credentials/resolve.js";
import type { BucketProvider } from "./types.js";

export type GcsConnection = Extract<ConnectionConfig, { kind: "gcs" }>;

/** Builds a provider for one GCS bucket. */
export function createGcsProvider(
  _config: GcsConnection,
  _tuning: { requestTimeoutMs: number; maxSockets: number },
): BucketProvider {
  throw new Error("createGcsProvider: not implemented yet");
}
