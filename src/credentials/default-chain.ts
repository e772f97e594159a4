// What each provider's default credential chain (used when a Bucket names no Secret) could read on this machine, so
// a failure with nothing configured can say "no credentials found" instead of the SDK's "access denied".
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ResolvedProvider } from "../api/url.js";

/** Where to look: the environment and the home folder (replaceable in tests). */
export interface ChainEnvironment {
  env: NodeJS.ProcessEnv;
  home: string;
  exists: (file: string) => boolean;
}

const HOST: ChainEnvironment = { env: process.env, home: os.homedir(), exists: existsSync };

/** The environment variables a user sets to give each provider's default chain static credentials. */
export const CREDENTIAL_ENV_HINT: Record<Exclude<ResolvedProvider, "file">, string> = {
  aws: "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
  generic: "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
  gcp: "GOOGLE_APPLICATION_CREDENTIALS",
  azure: "AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET",
};

/**
 * The local sources (environment variables, files) the default chain of `provider` could take credentials from;
 * empty when none is configured. Remote sources (instance metadata, workload identity endpoints) are not listed:
 * callers ask only after the chain failed, so those were tried and gave nothing.
 */
export function localCredentialSources(provider: ResolvedProvider, where: ChainEnvironment = HOST): string[] {
  const { env, home, exists } = where;
  const vars = (names: string[]): string[] => names.filter((n) => (env[n] ?? "") !== "");
  const files = (candidates: string[]): string[] => candidates.filter((f) => exists(f));
  switch (provider) {
    case "aws":
    case "generic":
      return [
        ...vars([
          "AWS_ACCESS_KEY_ID",
          "AWS_PROFILE",
          "AWS_WEB_IDENTITY_TOKEN_FILE",
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
          "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]),
        ...files([
          env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, ".aws", "credentials"),
          env.AWS_CONFIG_FILE || path.join(home, ".aws", "config"),
        ]),
      ];
    case "gcp":
      return [
        ...vars(["GOOGLE_APPLICATION_CREDENTIALS"]),
        ...files([
          path.join(
            env.CLOUDSDK_CONFIG || path.join(home, ".config", "gcloud"),
            "application_default_credentials.json",
          ),
        ]),
      ];
    case "azure":
      return [
        ...vars([
          "AZURE_CLIENT_ID",
          "AZURE_CLIENT_SECRET",
          "AZURE_FEDERATED_TOKEN_FILE",
          "AZURE_CLIENT_CERTIFICATE_PATH",
        ]),
        ...files([path.join(env.AZURE_CONFIG_DIR || path.join(home, ".azure"), "msal_token_cache.json")]),
      ];
    case "file":
      return ["(a folder needs no credentials)"];
  }
}
