// GCS credentials: a service-account JSON key from the Secret (`serviceaccount`, or `gcp_credentials`).
import type { SecretData } from "./secret.js";

/** The fields of a service-account key the GCS client needs. */
export interface GcsCredentials {
  client_email: string;
  private_key: string;
  project_id?: string;
}

/** Parses and checks the service-account JSON. Throws CredentialsError naming the key or JSON field to fix. */
export function gcsCredentialsFromSecret(_data: SecretData, _secretName: string): GcsCredentials {
  throw new Error("gcsCredentialsFromSecret: not implemented yet");
}
