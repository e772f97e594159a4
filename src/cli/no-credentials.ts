// The one-shot commands' message for an empty credential chain: what to set, instead of the SDK's "access denied".
import type { BucketSpec } from "../api/normalize.js";
import {
  CREDENTIAL_ENV_HINT,
  localCredentialSources,
  type ChainEnvironment,
} from "../credentials/default-chain.js";

/**
 * For an authentication failure of `spec`: "no credentials found: …" when the Bucket names no Secret, no STS and
 * its provider's default chain has nothing configured on this machine; undefined otherwise (a real refusal, or a
 * configured source that failed: the provider's own message says more).
 */
export function noCredentialsMessage(spec: BucketSpec, where?: ChainEnvironment): string | undefined {
  if (spec.provider === "file" || spec.secretRef !== undefined || spec.sts !== undefined) return undefined;
  if (localCredentialSources(spec.provider, where).length > 0) return undefined;
  return (
    `no credentials found: set secretRef, ${CREDENTIAL_ENV_HINT[spec.provider]}, or --credentials-file <secret.yaml>` +
    ` (the ${spec.provider === "gcp" ? "GCP" : spec.provider === "azure" ? "Azure" : "AWS"} default credential chain found none)`
  );
}
