// A Bucket's provider outside a reconcile: what history, diff and pin read the bucket's versions with.
import type { BucketSpec } from "../api/normalize.js";
import { normalizeSpec } from "../api/normalize.js";
import { resolveConnection } from "../credentials/resolve.js";
import type { SecretReader } from "../credentials/secret.js";
import { createProvider } from "../providers/index.js";
import type { BucketProvider } from "../providers/types.js";
import { DEFAULT_TUNING } from "./steps/connect.js";

/** A Bucket to read: its raw spec, the folder relative file:// URLs resolve against, where its Secrets are. */
export interface BucketSource {
  spec: unknown;
  baseDir: string;
  namespace: string;
  readSecret: SecretReader;
}

/** The normalized spec and a provider of the Bucket; the caller closes the provider. */
export interface OpenBucket {
  spec: BucketSpec;
  provider: BucketProvider;
}

/**
 * Normalizes the spec, reads its Secrets and builds its provider, as the connect step of a reconcile does.
 * Throws SpecError (bad spec), CredentialsError (missing or malformed Secret) or ProviderError.
 */
export async function openBucket(source: BucketSource): Promise<OpenBucket> {
  const spec = normalizeSpec(source.spec, source.baseDir);
  const connection = await resolveConnection(spec, source.namespace, source.readSecret);
  return { spec, provider: await createProvider(connection, DEFAULT_TUNING) };
}

/** Opens the Bucket, runs `fn` with it and closes the provider, whatever `fn` does. */
export async function withBucket<T>(
  source: BucketSource,
  fn: (bucket: OpenBucket) => Promise<T>,
): Promise<T> {
  const bucket = await openBucket(source);
  try {
    return await fn(bucket);
  } finally {
    bucket.provider.close();
  }
}
