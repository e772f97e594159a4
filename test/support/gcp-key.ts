// A syntactically valid service-account key (fresh RSA key, fake identity) for GCS Secrets in tests.
import { generateKeyPairSync } from "node:crypto";

/** The JSON of a service-account key; `overrides` replace or (with undefined) drop fields. */
export function serviceAccountJson(overrides: Record<string, unknown> = {}): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return JSON.stringify({
    type: "service_account",
    project_id: "bucketops-test",
    private_key_id: "0123456789abcdef",
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: "bucketops@bucketops-test.iam.gserviceaccount.com",
    client_id: "100000000000000000000",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
    ...overrides,
  });
}
