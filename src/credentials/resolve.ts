// Spec + Secrets → the small, provider-specific connection config a provider is built from.
import type { BucketSpec } from "../api/normalize.js";
import {
  CredentialsError,
  readRequiredSecret,
  s3CredentialsFromSecret,
  type S3Credentials,
  type SecretReader,
} from "./secret.js";

export interface TlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

export type ConnectionConfig =
  | {
      kind: "s3";
      flavor: "aws" | "generic";
      bucketName: string;
      endpoint?: string;
      region?: string;
      insecure: boolean;
      credentials?: S3Credentials;
      tls?: TlsOptions;
    }
  | { kind: "file"; root: string };

/**
 * Reads the Secrets a spec names (only in `namespace`) and returns the connection config.
 * Throws CredentialsError when a Secret or one of its keys is missing, or the provider is not available yet.
 */
export async function resolveConnection(
  spec: BucketSpec,
  namespace: string,
  readSecret: SecretReader,
): Promise<ConnectionConfig> {
  switch (spec.provider) {
    case "file":
      return { kind: "file", root: spec.bucketName };
    case "generic":
    case "aws": {
      const config: ConnectionConfig = {
        kind: "s3",
        flavor: spec.provider,
        bucketName: spec.bucketName,
        insecure: spec.insecure,
      };
      if (spec.endpoint !== undefined) config.endpoint = spec.endpoint;
      if (spec.region !== undefined) config.region = spec.region;
      if (spec.secretRef) {
        const data = await readRequiredSecret(readSecret, namespace, spec.secretRef.name);
        config.credentials = s3CredentialsFromSecret(data, `${namespace}/${spec.secretRef.name}`);
      }
      if (spec.certSecretRef) {
        const data = await readRequiredSecret(readSecret, namespace, spec.certSecretRef.name);
        config.tls = tlsFromSecret(data, `${namespace}/${spec.certSecretRef.name}`);
      }
      return config;
    }
    case "gcp":
    case "azure":
      throw new CredentialsError(
        `provider ${spec.provider} is not available in this version of bucketops; use generic, aws or file://`,
      );
  }
}

function tlsFromSecret(data: Readonly<Record<string, string>>, secretName: string): TlsOptions {
  const tls: TlsOptions = {};
  const ca = data["ca.crt"] ?? data["caFile"];
  const cert = data["tls.crt"] ?? data["certFile"];
  const key = data["tls.key"] ?? data["keyFile"];
  if ((cert === undefined) !== (key === undefined)) {
    throw new CredentialsError(
      `Secret '${secretName}' must hold both tls.crt and tls.key for a client certificate`,
    );
  }
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined && key !== undefined) {
    tls.cert = cert;
    tls.key = key;
  }
  if (tls.ca === undefined && tls.cert === undefined) {
    throw new CredentialsError(`Secret '${secretName}' has neither ca.crt nor tls.crt/tls.key`);
  }
  return tls;
}
