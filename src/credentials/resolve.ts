// Spec + Secrets → the small, provider-specific connection config a provider is built from.
import type { BucketSpec } from "../api/normalize.js";
import { azureCredentialsFromSecret, type AzureCredentialConfig } from "./azure.js";
import { gcsCredentialsFromSecret, type GcsCredentials } from "./gcp.js";
import {
  CredentialsError,
  readRequiredSecret,
  s3CredentialsFromSecret,
  type S3Credentials,
  type SecretData,
  type SecretReader,
} from "./secret.js";
import type { S3CredentialProvider } from "./sts-ldap.js";
import { proxyFromSecret, tlsFromSecret, type TransportOptions } from "./transport.js";

export type { TlsOptions, ProxyOptions, TransportOptions } from "./transport.js";

export type ConnectionConfig =
  | {
      kind: "s3";
      flavor: "aws" | "generic";
      bucketName: string;
      endpoint?: string;
      region?: string;
      insecure: boolean;
      /** Static keys, or a provider (spec.sts: temporary credentials); undefined → the SDK's default chain. */
      credentials?: S3Credentials | S3CredentialProvider;
      transport: TransportOptions;
    }
  | {
      kind: "gcs";
      bucketName: string;
      /** API endpoint override (emulator, private endpoint); undefined → Google's. */
      endpoint?: string;
      insecure: boolean;
      /** undefined → Application Default Credentials (workload identity). */
      credentials?: GcsCredentials;
      transport: TransportOptions;
    }
  | {
      kind: "azure";
      /** https://<account>.blob.core.windows.net, or an emulator URL ending in /<account>. */
      endpoint: string;
      containerName: string;
      /** undefined → DefaultAzureCredential (workload identity). */
      credentials?: AzureCredentialConfig;
      transport: TransportOptions;
    }
  | { kind: "file"; root: string };

/**
 * Reads the Secrets a spec names (only in `namespace`) and returns the connection config.
 * Throws CredentialsError when a Secret or one of its keys is missing or malformed.
 */
export async function resolveConnection(
  spec: BucketSpec,
  namespace: string,
  readSecret: SecretReader,
): Promise<ConnectionConfig> {
  if (spec.provider === "file") return { kind: "file", root: spec.bucketName };
  const read = async (name: string): Promise<[SecretData, string]> => [
    await readRequiredSecret(readSecret, namespace, name),
    `${namespace}/${name}`,
  ];
  const transport: TransportOptions = {};
  if (spec.certSecretRef) transport.tls = tlsFromSecret(...(await read(spec.certSecretRef.name)));
  if (spec.proxySecretRef) transport.proxy = proxyFromSecret(...(await read(spec.proxySecretRef.name)));
  const secret = spec.secretRef ? await read(spec.secretRef.name) : undefined;

  switch (spec.provider) {
    case "generic":
    case "aws": {
      const config: ConnectionConfig = {
        kind: "s3",
        flavor: spec.provider,
        bucketName: spec.bucketName,
        insecure: spec.insecure,
        transport,
      };
      if (spec.endpoint !== undefined) config.endpoint = spec.endpoint;
      if (spec.region !== undefined) config.region = spec.region;
      // As in Flux, spec.secretRef wins over spec.sts: static keys need no STS.
      if (secret) config.credentials = s3CredentialsFromSecret(...secret);
      else if (spec.sts) config.credentials = await stsCredentials(spec.sts, namespace, transport, read);
      return config;
    }
    case "gcp": {
      const config: ConnectionConfig = {
        kind: "gcs",
        bucketName: spec.bucketName,
        insecure: spec.insecure,
        transport,
      };
      if (spec.endpoint !== undefined) config.endpoint = spec.endpoint;
      if (secret) config.credentials = gcsCredentialsFromSecret(...secret);
      return config;
    }
    case "azure": {
      const endpoint = spec.endpoint ?? "";
      const config: ConnectionConfig = { kind: "azure", endpoint, containerName: spec.bucketName, transport };
      if (secret)
        config.credentials = azureCredentialsFromSecret(secret[0], secret[1], azureAccountName(endpoint));
      return config;
    }
  }
}

/** spec.sts → a provider of temporary credentials (ldap: fetched now, so a failed login fails here). */
async function stsCredentials(
  sts: NonNullable<BucketSpec["sts"]>,
  namespace: string,
  transport: TransportOptions,
  read: (name: string) => Promise<[SecretData, string]>,
): Promise<S3CredentialProvider> {
  // Loaded on first use: the AWS credential chain costs ~30 MiB of RSS that a Bucket without sts never needs.
  if (sts.provider === "aws")
    return (await import("./sts-aws.js")).awsStsCredentialProvider(sts.endpoint, transport.proxy);
  const { ldapLoginFromSecret, ldapStsCredentialProvider } = await import("./sts-ldap.js");
  if (!sts.secretRef) {
    throw new CredentialsError(
      "spec.sts.secretRef: the ldap STS provider needs a Secret with the keys username and password",
    );
  }
  const login = ldapLoginFromSecret(...(await read(sts.secretRef.name)));
  const stsTransport: TransportOptions = {};
  if (sts.certSecretRef) stsTransport.tls = tlsFromSecret(...(await read(sts.certSecretRef.name)));
  if (transport.proxy) stsTransport.proxy = transport.proxy;
  return ldapStsCredentialProvider(namespace, { endpoint: sts.endpoint, ...login, transport: stsTransport });
}

/** The storage account of an Azure endpoint: the first host label, or the last path segment (Azurite style). */
export function azureAccountName(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    const fromPath = url.pathname.split("/").filter(Boolean).at(-1);
    return fromPath ?? url.hostname.split(".")[0] ?? "";
  } catch {
    return "";
  }
}
