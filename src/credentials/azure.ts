// Azure Blob credentials from a Secret, in Flux's order of precedence.
import type { SecretData } from "./secret.js";

export type AzureCredentialConfig =
  | {
      type: "servicePrincipal";
      tenantId: string;
      clientId: string;
      clientSecret: string;
      authorityHost?: string;
    }
  | {
      type: "clientCertificate";
      tenantId: string;
      clientId: string;
      certificate: string;
      password?: string;
      sendChain?: boolean;
      authorityHost?: string;
    }
  | { type: "managedIdentity"; clientId: string }
  | { type: "sharedKey"; accountName: string; accountKey: string }
  | { type: "sas"; token: string };

/** Reads Azure credentials from Secret data. Throws CredentialsError naming the keys to add. */
export function azureCredentialsFromSecret(
  _data: SecretData,
  _secretName: string,
  _accountName: string,
): AzureCredentialConfig {
  throw new Error("azureCredentialsFromSecret: not implemented yet");
}
