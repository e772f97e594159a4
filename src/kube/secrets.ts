// Secrets for the engine, read from the API one at a time (no cluster-wide Secret cache: get-only RBAC).
import { ApiException, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { SecretData, SecretReader } from "../credentials/secret.js";

/** Returns a SecretReader; the engine only ever asks for the Bucket's own namespace. */
export function kubeSecretReader(kc: KubeConfig): SecretReader {
  const api = kc.makeApiClient(CoreV1Api);
  return async (namespace: string, name: string): Promise<SecretData | undefined> => {
    try {
      const secret = await api.readNamespacedSecret({ name, namespace });
      const data: Record<string, string> = {};
      for (const [k, v] of Object.entries(secret.data ?? {}))
        data[k] = Buffer.from(v, "base64").toString("utf8");
      for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = v;
      return data;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  };
}
